import { hash } from 'node:crypto';
import { compareUtf8 } from '../model/vector-clock.js';

/**
 * The consistent-hash ring (cluster.md §1). Built once per topology change; a lookup is one SHA-256, a binary
 * search over the tokens and a cached walk, with no BigInt on the hot path: a 64-bit position is kept as two
 * uint32 halves (hi, lo), which order exactly like the uint64.
 */

/** The largest replication factor a tenant may have (cluster.md §13); walks are cached up to it. */
export const MAX_RF = 10;

/** Default and bounds of a node's virtual nodes (cluster.md §1, §11.1). */
export const DEFAULT_VNODES = 150;
export const MAX_VNODES = 1024;

export interface RingNode {
  readonly nodeId: string;
  readonly virtualNodes: number;
}

/** One vnode: its token (uint64 as BigInt, for tools and tests) and owner. */
export interface RingToken {
  readonly token: bigint;
  readonly nodeId: string;
  readonly vnode: number;
}

// One-shot crypto.hash: about half the cost of createHash().update().digest() for short inputs (hot path).
function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}

function prefixToBigInt(d: Buffer): bigint {
  return d.readBigUInt64BE(0);
}

/** Position of a key on the ring: first 8 bytes, big-endian, of SHA-256(`${tenant}:${key}`). */
export function keyPosition(tenantId: string, key: string): bigint {
  return prefixToBigInt(sha256(`${tenantId}:${key}`));
}

/** Token of vnode `i` of a node: first 8 bytes of SHA-256(`${nodeId}-vnode-${i}`). */
export function vnodeToken(nodeId: string, i: number): bigint {
  return prefixToBigInt(sha256(`${nodeId}-vnode-${i}`));
}

const TWO_64 = 1n << 64n;

/**
 * Wire form of the range owned by a vnode, (prev, H] → [prev+1, H+1) mod 2^64 (cluster.md §1 "Hash range");
 * start = end means the whole ring (a ring of one token).
 */
export function ownedRange(prev: bigint, token: bigint): { start: bigint; end: bigint } {
  return { start: (prev + 1n) % TWO_64, end: (token + 1n) % TWO_64 };
}

export class Ring {
  /** High and low 32 bits of every token, ascending (ties by node id bytes). */
  readonly #hi: Uint32Array;
  readonly #lo: Uint32Array;
  /** Owner index (into #nodeIds) of every token. */
  readonly #owner: Uint16Array | Uint32Array;
  readonly #nodeIds: string[];
  readonly #tokens: RingToken[];
  /** Walk cache: index `tokenIndex * (MAX_RF + 1) + rf` → the preference list. */
  readonly #walks = new Map<number, readonly string[]>();

  constructor(nodes: readonly RingNode[]) {
    const tokens: RingToken[] = [];
    for (const n of nodes) {
      for (let i = 0; i < n.virtualNodes; i++) tokens.push({ token: vnodeToken(n.nodeId, i), nodeId: n.nodeId, vnode: i });
    }
    tokens.sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : compareUtf8(a.nodeId, b.nodeId)));
    this.#tokens = tokens;
    this.#nodeIds = [...new Set(nodes.map((n) => n.nodeId))];
    const index = new Map(this.#nodeIds.map((id, i) => [id, i]));
    this.#hi = new Uint32Array(tokens.length);
    this.#lo = new Uint32Array(tokens.length);
    this.#owner = this.#nodeIds.length < 0xffff ? new Uint16Array(tokens.length) : new Uint32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!.token;
      this.#hi[i] = Number(t >> 32n);
      this.#lo[i] = Number(t & 0xffffffffn);
      this.#owner[i] = index.get(tokens[i]!.nodeId)!;
    }
  }

  /** Every vnode in ring order. */
  get tokens(): readonly RingToken[] {
    return this.#tokens;
  }

  /** Distinct node ids on the ring. */
  get nodeIds(): readonly string[] {
    return this.#nodeIds;
  }

  get size(): number {
    return this.#nodeIds.length;
  }

  /** Index of the vnode owning a position given as two uint32 halves: the first token ≥ it, wrapping to 0. */
  #ownerIndex(hi: number, lo: number): number {
    const n = this.#hi.length;
    let l = 0;
    let r = n;
    while (l < r) {
      const m = (l + r) >>> 1;
      const th = this.#hi[m]!;
      if (th < hi || (th === hi && this.#lo[m]! < lo)) l = m + 1;
      else r = m;
    }
    return l === n ? 0 : l;
  }

  /** Index of the vnode that owns `position` (uint64). */
  ownerIndexOf(position: bigint): number {
    return this.#ownerIndex(Number(position >> 32n), Number(position & 0xffffffffn));
  }

  /**
   * Preference list of a key: from its owning vnode clockwise, the first `rf` distinct nodes (fewer if the ring
   * has fewer). The returned array is cached and shared: never mutate it.
   */
  preferenceList(tenantId: string, key: string, rf: number): readonly string[] {
    if (this.#hi.length === 0) return [];
    const d = sha256(`${tenantId}:${key}`);
    return this.walkFrom(this.#ownerIndex(d.readUInt32BE(0), d.readUInt32BE(4)), rf);
  }

  /** Preference list for a position given as uint64. */
  preferenceListAt(position: bigint, rf: number): readonly string[] {
    if (this.#hi.length === 0) return [];
    return this.walkFrom(this.ownerIndexOf(position), rf);
  }

  /** The walk of cluster.md §1 from vnode index `start`, cached per (start, rf). */
  walkFrom(start: number, rf: number): readonly string[] {
    const want = Math.min(rf, this.#nodeIds.length);
    const cacheable = rf <= MAX_RF;
    const slot = start * (MAX_RF + 1) + rf;
    if (cacheable) {
      const hit = this.#walks.get(slot);
      if (hit) return hit;
    }
    const out: string[] = [];
    const n = this.#owner.length;
    for (let k = 0; k < n && out.length < want; k++) {
      const id = this.#nodeIds[this.#owner[(start + k) % n]!]!;
      if (!out.includes(id)) out.push(id);
    }
    if (cacheable) this.#walks.set(slot, out);
    return out;
  }
}
