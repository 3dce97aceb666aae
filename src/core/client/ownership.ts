import { Ring } from '../cluster/ring.js';

/**
 * Ring ownership for `pairdb status` (cli-and-ops.md §2.5 OWNS), computed on the coordinator's own Ring
 * (cluster.md §1), so the tool can never disagree with placement.
 */

const RING = 1n << 64n;

export interface RingMember {
  readonly nodeId: string;
  readonly vnodes: number;
}

/**
 * The share of the hash space each member holds a replica of, as a fraction of 1. With `rf` 1 this is the primary
 * share ("owns" in nodetool without a keyspace); with `rf` N it is the effective share when every range is
 * replicated on the first N distinct nodes of the clockwise walk. Members with 0 vnodes own 0.
 */
export function ringOwnership(members: readonly RingMember[], rf = 1): Map<string, number> {
  const owned = new Map<string, bigint>(members.map((m) => [m.nodeId, 0n]));
  const ring = new Ring(members.filter((m) => m.vnodes > 0).map((m) => ({ nodeId: m.nodeId, virtualNodes: m.vnodes })));
  const tokens = ring.tokens;
  const want = Math.max(1, rf);
  for (let j = 0; j < tokens.length; j++) {
    const here = tokens[j]!.token;
    const prev = tokens[(j - 1 + tokens.length) % tokens.length]!.token;
    // (prev, here]; a single token owns the whole ring, and a token equal to its predecessor owns nothing.
    const size = tokens.length === 1 ? RING : (here - prev + RING) % RING;
    for (const nodeId of ring.walkFrom(j, want)) owned.set(nodeId, owned.get(nodeId)! + size);
  }
  const out = new Map<string, number>();
  for (const [nodeId, size] of owned) out.set(nodeId, Number((size * 1_000_000_000n) / RING) / 1_000_000_000);
  return out;
}
