import { createHash } from 'node:crypto';

/**
 * Ring ownership for `pairdb status` (cli-and-ops.md §2.5 OWNS), from the placement rules of cluster.md §1:
 * tokens are the first 8 bytes (big-endian) of SHA-256(`${node_id}-vnode-${i}`), ordered by token then node id
 * bytes, and the vnode at token H owns (prev, H]. This runs once per `status` call over a few hundred tokens, so
 * it favours plain BigInt arithmetic over the coordinator's hot-path lookups.
 */

const RING = 1n << 64n;

export interface RingMember {
  readonly nodeId: string;
  readonly vnodes: number;
}

interface Token {
  readonly token: bigint;
  readonly nodeId: string;
}

export function vnodeToken(nodeId: string, i: number): bigint {
  return createHash('sha256').update(`${nodeId}-vnode-${i}`, 'utf8').digest().readBigUInt64BE(0);
}

function sortedTokens(members: readonly RingMember[]): Token[] {
  const tokens: Token[] = [];
  for (const m of members) for (let i = 0; i < m.vnodes; i++) tokens.push({ token: vnodeToken(m.nodeId, i), nodeId: m.nodeId });
  return tokens.sort((a, b) =>
    a.token < b.token ? -1 : a.token > b.token ? 1 : Buffer.compare(Buffer.from(a.nodeId), Buffer.from(b.nodeId)),
  );
}

/**
 * The share of the hash space each member holds a replica of, as a fraction of 1. With `rf` 1 this is the primary
 * share ("owns" in nodetool without a keyspace); with `rf` N it is the effective share when every range is
 * replicated on the first N distinct nodes of the clockwise walk. Members with 0 vnodes own 0.
 */
export function ringOwnership(members: readonly RingMember[], rf = 1): Map<string, number> {
  const owned = new Map<string, bigint>(members.map((m) => [m.nodeId, 0n]));
  const tokens = sortedTokens(members);
  const distinct = new Set(tokens.map((t) => t.nodeId)).size;
  const want = Math.min(Math.max(1, rf), distinct);
  for (let j = 0; j < tokens.length; j++) {
    const here = tokens[j]!.token;
    const prev = tokens[(j - 1 + tokens.length) % tokens.length]!.token;
    // (prev, here]; a single token owns the whole ring, the lowest token wraps past the highest, and a token equal
    // to its predecessor owns nothing.
    const size = tokens.length === 1 ? RING : (here - prev + RING) % RING;
    const taken = new Set<string>();
    for (let k = 0; taken.size < want; k++) {
      const nodeId = tokens[(j + k) % tokens.length]!.nodeId;
      if (taken.has(nodeId)) continue;
      taken.add(nodeId);
      owned.set(nodeId, owned.get(nodeId)! + size);
    }
  }
  const out = new Map<string, number>();
  for (const [nodeId, size] of owned) out.set(nodeId, Number((size * 1_000_000_000n) / RING) / 1_000_000_000);
  return out;
}
