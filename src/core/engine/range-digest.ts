import { createHash, hash } from 'node:crypto';
import type { Version } from '../model/version.js';
import { encodeVersionSet, varintSize, writeVarint } from '../model/version-codec.js';
import type { MergeEntry } from './merge-iterator.js';
import { withoutExpiredTombstones } from './tombstone-purge.js';

/**
 * Ring-range filtering (ScanRange) and Merkle range digests (RangeDigest), storage-engine.md §8 and cluster.md §14
 * step 2, pure. Positions are uint64 BigInts; a range is [start, end) on the ring mod 2^64: start < end → plain,
 * start > end → wraps past 2^64 − 1, start = end → the whole ring.
 *
 * Digest: the range (length L, 2^64 when start = end) is cut into 2^depth leaves of width w = ceil(L / 2^depth);
 * leaf i = [start + i·w, min(start + (i+1)·w, start + L)) mod 2^64. Each key contributes
 * SHA-256(ckey_len varint ‖ ckey ‖ version-set encoding) XORed into its leaf, and one to the leaf's count; write-id
 * lists are not hashed (§13). Leaf = SHA-256(count u64 LE ‖ xor) (u64 little-endian as everywhere in the format,
 * §0), an empty leaf = 32 zero bytes, parent = SHA-256(left ‖ right), root = the top. XOR and counting commute, so
 * the digest depends only on the logical (key → Reduce-d set) content, never on table layout or scan order.
 */

const TWO_64 = 1n << 64n;
const MASK_64 = TWO_64 - 1n;
export const DEFAULT_DIGEST_DEPTH = 10;
export const MAX_DIGEST_DEPTH = 16;
export const EMPTY_LEAF: Buffer = Buffer.alloc(32);

// ---- ring ranges ------------------------------------------------------------------------------------------------

/** Ring position of a ckey (`tenant ‖ 0x00 ‖ key`): first 8 bytes big-endian of SHA-256(`tenant:key`) (§1). */
export function ckeyPosition(ckey: Buffer): bigint {
  const sep = ckey.indexOf(0);
  if (sep < 0) throw new RangeError('not a composite key: no 0x00 separator');
  const text = Buffer.from(ckey);
  text[sep] = 0x3a; // ':'; tenant ids cannot contain ':' and keys contain no NUL, so this is `${tenant}:${key}`
  return hash('sha256', text, 'buffer').readBigUInt64BE(0);
}

/** The tenant id of a ckey. */
export function ckeyTenant(ckey: Buffer): string {
  const sep = ckey.indexOf(0);
  return ckey.toString('utf8', 0, sep < 0 ? ckey.length : sep);
}

function checkU64(name: string, v: bigint): void {
  if (v < 0n || v > MASK_64) throw new RangeError(`${name} ${v} is not a uint64`);
}

/** Whether ring position `pos` lies in [start, end) (wrapping when start > end, whole ring when start = end). */
export function inRingRange(pos: bigint, start: bigint, end: bigint): boolean {
  if (start === end) return true;
  if (start < end) return pos >= start && pos < end;
  return pos >= start || pos < end;
}

/** Length of [start, end) on the ring: (end − start) mod 2^64, and 2^64 when start = end. */
export function ringRangeLength(start: bigint, end: bigint): bigint {
  checkU64('start', start);
  checkU64('end', end);
  return start === end ? TWO_64 : (end - start + TWO_64) % TWO_64;
}

/**
 * A ckey predicate for ScanRange: position in [start, end) and, when `tenants` is non-empty, tenant listed
 * (rpc.md: an empty tenant list means all tenants). The cheap tenant test runs before the hash.
 */
export function ringRangeFilter(start: bigint, end: bigint, tenants: readonly string[] = []): (ckey: Buffer) => boolean {
  checkU64('start', start);
  checkU64('end', end);
  const listed = tenants.length > 0 ? new Set(tenants) : undefined;
  return (ckey) => (!listed || listed.has(ckeyTenant(ckey))) && inRingRange(ckeyPosition(ckey), start, end);
}

function checkDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_DIGEST_DEPTH) {
    throw new RangeError(`digest depth ${depth} is not an integer in 0..${MAX_DIGEST_DEPTH}`);
  }
}

/** w = ceil(L / 2^depth). */
export function leafWidth(start: bigint, end: bigint, depth: number = DEFAULT_DIGEST_DEPTH): bigint {
  checkDepth(depth);
  const len = ringRangeLength(start, end);
  const n = 1n << BigInt(depth);
  return (len + n - 1n) / n;
}

/** Leaf index of `pos` in the range, or undefined when `pos` lies outside it. */
export function leafIndex(pos: bigint, start: bigint, end: bigint, depth: number = DEFAULT_DIGEST_DEPTH): number | undefined {
  if (!inRingRange(pos, start, end)) return undefined;
  const w = leafWidth(start, end, depth);
  return Number(((pos - start + TWO_64) % TWO_64) / w);
}

/** The [start, end) bounds of leaf i (mod 2^64), for ScanRange of a mismatching leaf. A full-ring leaf has start = end. */
export function leafBounds(i: number, start: bigint, end: bigint, depth: number = DEFAULT_DIGEST_DEPTH): { start: bigint; end: bigint } {
  const len = ringRangeLength(start, end);
  const w = leafWidth(start, end, depth);
  const lo = BigInt(i) * w;
  const hi = lo + w < len ? lo + w : len;
  return { start: (start + lo) % TWO_64, end: (start + hi) % TWO_64 };
}

// ---- digests ----------------------------------------------------------------------------------------------------

/** SHA-256(ckey_len varint ‖ ckey ‖ set encoding) of one key. */
export function entryHash(ckey: Buffer, versions: readonly Version[]): Buffer {
  const lenBuf = Buffer.allocUnsafe(varintSize(ckey.length));
  writeVarint(lenBuf, 0, ckey.length);
  return createHash('sha256').update(lenBuf).update(ckey).update(encodeVersionSet(versions)).digest();
}

/** Leaf hash from its count and XOR accumulator; 32 zero bytes for an empty leaf. */
export function leafHash(count: number, xor: Buffer): Buffer {
  if (count === 0) return EMPTY_LEAF;
  const c = Buffer.alloc(8);
  c.writeBigUInt64LE(BigInt(count));
  return createHash('sha256').update(c).update(xor).digest();
}

/** Root of a complete binary tree over 2^depth leaves: parent = SHA-256(left ‖ right); one leaf is its own root. */
export function merkleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0 || (leaves.length & (leaves.length - 1)) !== 0) {
    throw new RangeError(`merkle tree needs a power-of-two leaf count, got ${leaves.length}`);
  }
  let level = leaves;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(createHash('sha256').update(level[i]!).update(level[i + 1]!).digest());
    level = next;
  }
  return level[0]!;
}

export interface RangeDigest {
  readonly start: bigint;
  readonly end: bigint;
  readonly depth: number;
  readonly root: Buffer;
  /** 2^depth leaf hashes (LeafDigest.hash). */
  readonly leaves: readonly Buffer[];
  /** Keys per leaf (LeafDigest.key_count). */
  readonly counts: readonly number[];
  readonly keyCount: number;
}

export interface RangeDigestOptions {
  readonly depth?: number;
  /** Tombstones past gc_grace are skipped (as ScanRange omits them); a key left empty is not counted. */
  readonly nowMs: number;
  readonly gcGraceMs: number;
  /** Only these tenants (empty = all). */
  readonly tenants?: readonly string[];
}

/**
 * Accumulates one digest from keys in any order (the engine feeds its ordered merge scan). Keys outside the range
 * or of unlisted tenants are ignored, so the caller may feed a whole scan.
 */
export class RangeDigestBuilder {
  readonly start: bigint;
  readonly end: bigint;
  readonly depth: number;
  readonly #opts: RangeDigestOptions;
  readonly #tenants: ReadonlySet<string> | undefined;
  readonly #width: bigint;
  readonly #xor: Buffer[];
  readonly #counts: number[];

  constructor(start: bigint, end: bigint, opts: RangeDigestOptions) {
    this.depth = opts.depth ?? DEFAULT_DIGEST_DEPTH;
    this.#width = leafWidth(start, end, this.depth);
    this.start = start;
    this.end = end;
    this.#opts = opts;
    this.#tenants = opts.tenants && opts.tenants.length > 0 ? new Set(opts.tenants) : undefined;
    const n = 1 << this.depth;
    this.#xor = Array.from({ length: n }, () => Buffer.alloc(32));
    this.#counts = new Array<number>(n).fill(0);
  }

  /** Adds one key with its Reduce-d set; returns the leaf it went to, or undefined when it was skipped. */
  add(ckey: Buffer, versions: readonly Version[]): number | undefined {
    if (this.#tenants && !this.#tenants.has(ckeyTenant(ckey))) return undefined;
    const pos = ckeyPosition(ckey);
    if (!inRingRange(pos, this.start, this.end)) return undefined;
    const live = withoutExpiredTombstones(versions, this.#opts.nowMs, this.#opts.gcGraceMs);
    if (live.length === 0) return undefined;
    const leaf = Number(((pos - this.start + TWO_64) % TWO_64) / this.#width);
    const h = entryHash(ckey, live);
    const acc = this.#xor[leaf]!;
    for (let i = 0; i < 32; i++) acc[i]! ^= h[i]!;
    this.#counts[leaf]!++;
    return leaf;
  }

  finish(): RangeDigest {
    const leaves = this.#xor.map((x, i) => leafHash(this.#counts[i]!, x));
    return {
      start: this.start,
      end: this.end,
      depth: this.depth,
      root: merkleRoot(leaves),
      leaves,
      counts: this.#counts.slice(),
      keyCount: this.#counts.reduce((a, b) => a + b, 0),
    };
  }
}

/** One digest over a scan (e.g. mergeIterator's output: one Reduce-d set per key). */
export async function rangeDigest(
  entries: Iterable<MergeEntry> | AsyncIterable<MergeEntry>,
  start: bigint,
  end: bigint,
  opts: RangeDigestOptions,
): Promise<RangeDigest> {
  const b = new RangeDigestBuilder(start, end, opts);
  for await (const e of entries) b.add(e.ckey, e.versions);
  return b.finish();
}

/** Indexes of the leaves that differ (peers ScanRange only these); empty when the roots match. */
export function differingLeaves(a: RangeDigest, b: Pick<RangeDigest, 'root' | 'leaves'>): number[] {
  if (a.root.equals(b.root)) return [];
  if (a.leaves.length !== b.leaves.length) throw new RangeError('digests of different depths');
  const out: number[] = [];
  for (let i = 0; i < a.leaves.length; i++) if (!a.leaves[i]!.equals(b.leaves[i]!)) out.push(i);
  return out;
}
