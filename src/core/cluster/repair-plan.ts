import { type RangeDigest, leafBounds } from '../engine/range-digest.js';
import { encodeVersionSet } from '../model/version-codec.js';
import { type Version, reduce } from '../model/version.js';
import { type Ring, ownedRange } from './ring.js';

/**
 * Anti-entropy planning (cluster.md §14), pure: which ring ranges to compare on which replicas, which digest leaves
 * differ, and what each replica must be sent so all hold the reconciled set. The coordinator's Repair RPC drives it
 * with RangeDigest, ScanRange and BatchWrite(REPAIR).
 */

/** A stretch of the ring [start, end) (start = end: the whole ring) and the replicas that hold it. */
export interface RepairItem {
  readonly start: bigint;
  readonly end: bigint;
  readonly replicas: readonly string[];
}

const TWO_64 = 1n << 64n;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * §14 step 1: the ring's segments with their replica walk for `rf`, adjacent segments with equal lists merged (also
 * across the wrap). With `node`, only the items that node is a replica of.
 */
export function repairItems(ring: Ring, rf: number, node?: string): RepairItem[] {
  const tokens = ring.tokens;
  if (tokens.length === 0) return [];
  const items: RepairItem[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const prev = tokens[(i - 1 + tokens.length) % tokens.length]!.token;
    const { start, end } = ownedRange(prev, tokens[i]!.token);
    const replicas = ring.walkFrom(i, rf);
    const last = items[items.length - 1];
    if (last && last.end === start && sameList(last.replicas, replicas)) items[items.length - 1] = { start: last.start, end, replicas };
    else items.push({ start, end, replicas });
  }
  if (items.length > 1) {
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (last.end === first.start && sameList(last.replicas, first.replicas)) {
      items[0] = { start: last.start, end: first.end, replicas: first.replicas };
      items.pop();
    }
  }
  return node === undefined ? items : items.filter((it) => it.replicas.includes(node));
}

/** Length of [start, end) on the ring (2^64 for start = end). */
export function itemLength(it: Pick<RepairItem, 'start' | 'end'>): bigint {
  const l = (it.end - it.start + TWO_64) % TWO_64;
  return l === 0n ? TWO_64 : l;
}

/** §14 step 3: leaves where the replicas' digests do not all agree (empty when every root is equal). */
export function mismatchedLeaves(digests: readonly Pick<RangeDigest, 'root' | 'leaves'>[]): number[] {
  if (digests.length < 2 || digests.every((d) => d.root.equals(digests[0]!.root))) return [];
  const out: number[] = [];
  const n = digests[0]!.leaves.length;
  for (let i = 0; i < n; i++) {
    const first = digests[0]!.leaves[i]!;
    if (digests.some((d) => !d.leaves[i]!.equals(first))) out.push(i);
  }
  return out;
}

/** The ring ranges of `leaves` of an item digested at `depth`, adjacent leaves merged (what to ScanRange). */
export function leafRanges(item: Pick<RepairItem, 'start' | 'end'>, depth: number, leaves: readonly number[]): Array<{ start: bigint; end: bigint }> {
  const out: Array<{ start: bigint; end: bigint }> = [];
  for (const i of [...leaves].sort((a, b) => a - b)) {
    const b = leafBounds(i, item.start, item.end, depth);
    const last = out[out.length - 1];
    if (last && last.end === b.start) last.end = b.end;
    else out.push({ start: b.start, end: b.end });
  }
  return out;
}

/**
 * §14 step 4: given what each replica returned for the scanned ranges (ckey hex → its Reduce-d set; tombstones
 * kept), the reconciled set of every key and, per replica, the keys whose set differs from it (missing included).
 */
export function repairWrites(perReplica: ReadonlyMap<string, ReadonlyMap<string, readonly Version[]>>): Map<string, Array<{ ckeyHex: string; versions: readonly Version[] }>> {
  const keys = new Set<string>();
  for (const m of perReplica.values()) for (const k of m.keys()) keys.add(k);
  const out = new Map<string, Array<{ ckeyHex: string; versions: readonly Version[] }>>();
  for (const node of perReplica.keys()) out.set(node, []);
  for (const k of [...keys].sort()) {
    const all: Version[] = [];
    for (const m of perReplica.values()) all.push(...(m.get(k) ?? []));
    const merged = reduce(all);
    const want = encodeVersionSet(merged);
    for (const [node, m] of perReplica) {
      const have = m.get(k);
      if (!have || !encodeVersionSet(reduce(have)).equals(want)) out.get(node)!.push({ ckeyHex: k, versions: merged });
    }
  }
  return out;
}

/** [start, end) as plain, non-wrapping pieces of [0, 2^64). */
function linearPieces(r: Pick<RepairItem, 'start' | 'end'>): Array<[bigint, bigint]> {
  if (r.start === r.end) return [[0n, TWO_64]];
  return r.start < r.end ? [[r.start, r.end]] : [[r.start, TWO_64], [0n, r.end]];
}

/**
 * The part of ring range `a` that lies in `b` (both [start, end) in the wire semantics of cluster.md §1: start > end
 * wraps, start = end is the whole ring), as ring ranges in ring order from `a.start`. A piece that runs over the top
 * of the ring and continues at 0 stays one range, so digests are not split where the ring is not.
 */
export function intersectRange(a: Pick<RepairItem, 'start' | 'end'>, b: Pick<RepairItem, 'start' | 'end'>): Array<{ start: bigint; end: bigint }> {
  const pieces: Array<[bigint, bigint]> = [];
  for (const [as, ae] of linearPieces(a)) {
    for (const [bs, be] of linearPieces(b)) {
      const s = as > bs ? as : bs;
      const e = ae < be ? ae : be;
      if (s < e) pieces.push([s, e]);
    }
  }
  // Order from a.start around the ring, so a wrapping piece pair is adjacent at the end and the start.
  const offset = (x: bigint): bigint => (x - a.start + TWO_64) % TWO_64;
  pieces.sort((p, q) => (offset(p[0]) < offset(q[0]) ? -1 : offset(p[0]) > offset(q[0]) ? 1 : 0));
  const merged: Array<[bigint, bigint]> = [];
  for (const p of pieces) {
    const last = merged[merged.length - 1];
    if (last && last[1] === TWO_64 && p[0] === 0n) last[1] = p[1] + TWO_64;
    else if (last && last[1] === p[0]) last[1] = p[1];
    else merged.push([p[0], p[1]]);
  }
  return merged.map(([s, e]) => ({ start: s % TWO_64, end: e % TWO_64 }));
}

/**
 * `--range` (cluster.md §14): the items restricted to their intersection with `range`, each piece keeping its
 * item's replicas. A whole-ring range (start = end) leaves the items as they are.
 */
export function clipItems(items: readonly RepairItem[], range: Pick<RepairItem, 'start' | 'end'>): RepairItem[] {
  if (range.start === range.end) return [...items];
  const out: RepairItem[] = [];
  for (const it of items) for (const r of intersectRange(it, range)) out.push({ start: r.start, end: r.end, replicas: it.replicas });
  return out;
}
