import { crc32 } from 'node:zlib';
import type { Version } from '../model/version.js';
import { CorruptionError, readVarint, varintSize, writeVarint } from '../model/version-codec.js';
import { BLOOM_SCHEME, BloomFilter } from './bloom.js';
import { readU64, writeU64 } from './commit-log-format.js';

/*
 * SSTable format v1 (storage-engine.md §4, §13). Pure encoders and decoders: no I/O.
 *
 * File:
 *
 *   [data block 0] … [data block D-1] [index block] [bloom block] [properties block] [footer 64 B]
 *
 * The blocks are contiguous and in exactly this order: data block 0 starts at offset 0, each block starts where the
 * previous one ends, the footer is the last 64 bytes. Open refuses any other layout (docs/DECISIONS.md "SSTable
 * format").
 *
 * Block (every kind):
 *
 *   payload | kind u8 | crc u32 (LE)           crc = crc32(payload | kind)
 *   kind: 0x01 data, 0x02 index, 0x03 bloom, 0x04 properties
 *   A block handle (offset, length) covers payload + the 5-byte trailer.
 *
 * Data block payload: entries in strictly increasing ckey order (Buffer.compare), across blocks too:
 *
 *   entry = ckey_len varint (≥ 1) | ckey | set_len varint | version set (§1) | wids (§13)
 *   wids  = n varint (≤ 32) | n × ( wid_len u8 (≥ 1) | write_id | ts_ms varint ), sorted by write_id, no duplicates
 *
 *   The set is non-empty and Reduce-d (canonical: versions in strictly increasing encoding order). The wids list
 *   follows the set, outside set_len (§13), so a reader that only wants the versions skips it.
 *   A non-empty block is closed when the next entry would push its payload past block_bytes (4096); an entry larger
 *   than block_bytes gets a block of its own. No prefix compression, no restart points (v1).
 *
 * Index block payload (one entry per data block, in file order; last keys strictly increasing):
 *
 *   count varint | count × ( last_key_len varint | last_key | offset varint | length varint )
 *
 *   offset/length = the data block's handle (length includes the 5-byte trailer). Lookup = the first block whose
 *   last_key ≥ ckey (binary search).
 *
 * Bloom block payload:
 *
 *   scheme u8 = 1 | k u8 (1..30) | n_keys u32 | m_bits u32 (multiple of 8, ≥ 64) | bit array (m_bits / 8 bytes)
 *
 * Properties block payload: UTF-8 JSON object, keys in this order (unknown fields ignored on read):
 *
 *   {"format":1,"file":n,"level":n,"created_ms":n,"reason":"flush"|"compaction","keys":n,"versions":n,
 *    "tombstones":n,"min_key":hex,"max_key":hex,"min_ts":n,"max_ts":n,"oldest_tombstone_ts":n|null,
 *    "data_blocks":n,"data_bytes":n,"bloom_bits_per_key":n,"bloom_k":n,"engine":"pairdb/<version>"}
 *
 *   min_ts/max_ts = least/greatest version timestamp_ms; data_bytes = Σ data block handle lengths (= index_offset).
 *
 * Footer (last 64 bytes):
 *
 *   0  8  index_offset u64     8  4  index_length u32
 *   12 8  bloom_offset u64     20 4  bloom_length u32
 *   28 8  props_offset u64     36 4  props_length u32
 *   40 4  data_blocks u32      44 4  format_version u32 = 1
 *   48 4  file_crc u32         crc32 of bytes [0, file_size − 64)
 *   52 4  footer_crc u32       crc32 of footer bytes 0..51
 *   56 8  magic "pairDBst"
 */

export const SST_MAGIC = Buffer.from('pairDBst', 'latin1');
export const SST_FORMAT_VERSION = 1;
export const FOOTER_SIZE = 64;
export const BLOCK_TRAILER_SIZE = 5;
export const DEFAULT_BLOCK_BYTES = 4096;

export const BLOCK_DATA = 0x01;
export const BLOCK_INDEX = 0x02;
export const BLOCK_BLOOM = 0x03;
export const BLOCK_PROPERTIES = 0x04;
export type BlockKind = typeof BLOCK_DATA | typeof BLOCK_INDEX | typeof BLOCK_BLOOM | typeof BLOCK_PROPERTIES;

export const BLOCK_KIND_NAMES: Record<number, string> = {
  [BLOCK_DATA]: 'data',
  [BLOCK_INDEX]: 'index',
  [BLOCK_BLOOM]: 'bloom',
  [BLOCK_PROPERTIES]: 'properties',
};

const BLOOM_HEADER_SIZE = 10;
const MAX_WIDS = 32;

/**
 * A malformed byte range. `at` is the offset of the problem inside the buffer the decoder was given; the reader
 * turns it into a file offset.
 */
export class SSTableFormatError extends CorruptionError {
  readonly at: number;

  constructor(what: string, at: number) {
    super(what);
    this.name = 'SSTableFormatError';
    this.at = at;
  }
}

function fail(what: string, at: number): never {
  throw new SSTableFormatError(what, at);
}

/** readVarint, with a failure reported at the varint's offset. */
function varintAt(buf: Uint8Array, off: number, end: number): [number, number] {
  try {
    return readVarint(buf as Buffer, off, end);
  } catch (err) {
    return fail((err as Error).message, off);
  }
}

/**
 * Byte-wise order of a[aStart, aEnd) against b[bStart, bEnd) (Buffer.compare's order; only the sign counts). A JS
 * loop on purpose: the read path compares ckeys (tens of bytes sharing a long tenant prefix) ~20 times per lookup,
 * and Buffer#compare's argument checks plus its native call cost several times the loop (CPU profile of
 * bench:engine readuniform: ~22 % of a read went to Buffer#compare).
 */
export function compareBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): number {
  const aLen = aEnd - aStart;
  const bLen = bEnd - bStart;
  const n = aLen < bLen ? aLen : bLen;
  for (let i = 0; i < n; i++) {
    const d = a[aStart + i]! - b[bStart + i]!;
    if (d !== 0) return d;
  }
  return aLen - bLen;
}

/**
 * compareBytes for ranges whose first `skip` bytes are known to be equal, also telling how far they agree: 0 when
 * equal, else ±(1 + length of their common prefix), negative when a < b.
 */
export function compareBytesLcp(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number, skip: number): number {
  const aLen = aEnd - aStart;
  const bLen = bEnd - bStart;
  const n = aLen < bLen ? aLen : bLen;
  for (let i = skip; i < n; i++) {
    const d = a[aStart + i]! - b[bStart + i]!;
    if (d !== 0) return d < 0 ? -(i + 1) : i + 1;
  }
  return aLen === bLen ? 0 : aLen < bLen ? -(n + 1) : n + 1;
}

/** The 4 bytes of buf[start, end) from offset `at` as a big-endian unsigned number, zero-padded past `end`. */
function headAt(buf: Uint8Array, start: number, end: number, at: number): number {
  let h = 0;
  for (let k = 0, i = start + at; k < 4; k++, i++) h = h * 256 + (i < end ? buf[i]! : 0);
  return h;
}

/**
 * A sorted run of keys (key i = buf[starts[startAt + stride·i], ends[endAt + stride·i]), strictly increasing)
 * prepared for lower-bound searches. Every key shares its first `prefixLen` bytes (the common prefix of the first
 * and last key), and heads[i] holds key i's next 4 bytes, big-endian, zero-padded. A strict head order is the key
 * order (a zero pad only ties with a real 0x00), so a search runs over one dense Uint32Array and reads key bytes
 * only among equal heads: far fewer cache lines than probing scattered keys (the index spans ~100 KB for a 15 MB
 * table, a cached block is a cold 4 KB), and each key compare starts past the shared prefix.
 */
export class KeyHeads {
  readonly prefixLen: number;
  readonly heads: Uint32Array;

  constructor(buf: Uint8Array, starts: Uint32Array, startAt: number, ends: Uint32Array, endAt: number, stride: number, count: number) {
    this.heads = new Uint32Array(count);
    if (count === 0) {
      this.prefixLen = 0;
      return;
    }
    const f0 = starts[startAt]!;
    const fl = starts[startAt + stride * (count - 1)]!;
    const r = compareBytesLcp(buf, f0, ends[endAt]!, buf, fl, ends[endAt + stride * (count - 1)]!, 0);
    this.prefixLen = r === 0 ? ends[endAt]! - f0 : Math.abs(r) - 1;
    for (let i = 0; i < count; i++) this.heads[i] = headAt(buf, starts[startAt + stride * i]!, ends[endAt + stride * i]!, this.prefixLen);
  }

  /** The first i whose key is ≥ `key` (count if none), for the same (buf, starts, …) the heads were built from. */
  lowerBound(buf: Uint8Array, starts: Uint32Array, startAt: number, ends: Uint32Array, endAt: number, stride: number, count: number, key: Uint8Array): number {
    if (count === 0) return 0;
    const p = this.prefixLen;
    const klen = key.length;
    // Against the shared prefix first: a key that leaves it is below or above the whole run.
    const s0 = starts[startAt]!;
    const n = p < klen ? p : klen;
    for (let i = 0; i < n; i++) {
      const d = key[i]! - buf[s0 + i]!;
      if (d !== 0) return d < 0 ? 0 : count;
    }
    if (klen < p) return 0; // a proper prefix of every key
    const h = headAt(key, 0, klen, p);
    const heads = this.heads;
    let lo = 0;
    let hi = count;
    // Lower bounds of lcp(key, key[lo - 1]) and lcp(key, key[hi]): every candidate shares the prefix.
    let lcpLo = p;
    let lcpHi = p;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const hm = heads[mid]!;
      if (hm < h) {
        lo = mid + 1;
        lcpLo = p;
      } else if (hm > h) {
        hi = mid;
        lcpHi = p;
      } else {
        const r = compareBytesLcp(buf, starts[startAt + stride * mid]!, ends[endAt + stride * mid]!, key, 0, klen, lcpLo < lcpHi ? lcpLo : lcpHi);
        if (r < 0) {
          lo = mid + 1;
          lcpLo = -r - 1;
        } else {
          hi = mid;
          lcpHi = r === 0 ? klen : r - 1;
        }
      }
    }
    return lo;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Blocks

/** Writes the trailer of a block whose payload occupies buf[start, start+payloadLen); returns the block's end. */
export function sealBlock(buf: Buffer, start: number, payloadLen: number, kind: BlockKind): number {
  const kindAt = start + payloadLen;
  buf[kindAt] = kind;
  buf.writeUInt32LE(crc32(buf.subarray(start, kindAt + 1)), kindAt + 1);
  return kindAt + BLOCK_TRAILER_SIZE;
}

/** A whole block (payload + trailer) for `payload`. */
export function encodeBlock(payload: Uint8Array, kind: BlockKind): Buffer {
  const buf = Buffer.allocUnsafe(payload.length + BLOCK_TRAILER_SIZE);
  buf.set(payload, 0);
  sealBlock(buf, 0, payload.length, kind);
  return buf;
}

/**
 * Checks a whole block (as read through its handle): length, kind byte, CRC. Returns its payload (a view, no
 * copy). Failures are reported at offset 0 of the block.
 */
export function openBlock(block: Buffer, kind: BlockKind): Buffer {
  const name = BLOCK_KIND_NAMES[kind];
  if (block.length < BLOCK_TRAILER_SIZE) fail(`${name} block shorter than its trailer`, 0);
  const kindAt = block.length - BLOCK_TRAILER_SIZE;
  if (block.readUInt32LE(kindAt + 1) !== crc32(block.subarray(0, kindAt + 1))) fail(`${name} block crc mismatch`, 0);
  if (block[kindAt] !== kind) fail(`${name} block has kind 0x${block[kindAt]!.toString(16).padStart(2, '0')}`, 0);
  return block.subarray(0, kindAt);
}

// ---------------------------------------------------------------------------------------------------------------
// Data blocks

/** Encoded size of one data-block entry whose set and wids are already encoded. */
export function entrySize(ckeyLen: number, setLen: number, widsLen: number): number {
  return varintSize(ckeyLen) + ckeyLen + varintSize(setLen) + setLen + widsLen;
}

/** Writes one entry at `off`; returns the new offset. */
export function writeEntry(buf: Buffer, off: number, ckey: Uint8Array, set: Uint8Array, wids: Uint8Array): number {
  off = writeVarint(buf, off, ckey.length);
  buf.set(ckey, off);
  off += ckey.length;
  off = writeVarint(buf, off, set.length);
  buf.set(set, off);
  off += set.length;
  buf.set(wids, off);
  return off + wids.length;
}

/** Skips a wids list at `off` without allocating; returns the offset after it. */
export function skipWriteIds(buf: Uint8Array, off: number, end: number): number {
  const start = off;
  let n: number;
  [n, off] = varintAt(buf, off, end);
  if (n > MAX_WIDS) fail('write-id list longer than 32', start);
  for (let i = 0; i < n; i++) {
    if (off >= end) fail('write-id list past the end of its block', off);
    const len = buf[off++]!;
    if (len === 0) fail('empty write id in a write-id list', off - 1);
    if (off + len > end) fail('write id past the end of its block', off);
    off += len;
    [, off] = varintAt(buf, off, end);
  }
  return off;
}

/**
 * A CRC-verified data block with its entries located (what the block cache keeps, §7). Per entry i:
 * `offs[3i]` = entry start, `offs[3i+1]` = ckey start, `offs[3i+2]` = ckey end; `offs[3·count]` = payload length.
 * The set starts at the ckey end (its set_len varint); nothing inside a set is decoded until asked for.
 */
export class DataBlock {
  readonly payload: Buffer;
  readonly offs: Uint32Array;
  readonly count: number;
  /** Entry keys' heads for the binary search (entry i's key = payload[offs[3i + 1], offs[3i + 2])). */
  readonly #heads: KeyHeads;

  constructor(payload: Buffer, offs: Uint32Array, count: number) {
    this.payload = payload;
    this.offs = offs;
    this.count = count;
    this.#heads = new KeyHeads(payload, offs, 1, offs, 2, 3, count);
  }

  /** Locates every entry, checking framing and strict key order. Throws SSTableFormatError (payload offsets). */
  static parse(payload: Buffer): DataBlock {
    const end = payload.length;
    if (end === 0) fail('empty data block', 0);
    let offs = new Uint32Array(3 * 64 + 1);
    let count = 0;
    let off = 0;
    let prevKeyStart = -1;
    let prevKeyEnd = -1;
    while (off < end) {
      const start = off;
      let klen: number;
      [klen, off] = varintAt(payload, off, end);
      if (klen === 0) fail('empty ckey', start);
      if (off + klen > end) fail('ckey past the end of its block', start);
      const keyStart = off;
      const keyEnd = off + klen;
      if (prevKeyStart >= 0 && compareBytes(payload, keyStart, keyEnd, payload, prevKeyStart, prevKeyEnd) <= 0) {
        fail('ckey not greater than the previous one', start);
      }
      off = keyEnd;
      let slen: number;
      const setLenAt = off;
      [slen, off] = varintAt(payload, off, end);
      if (off + slen > end) fail('version set past the end of its block', setLenAt);
      off += slen;
      off = skipWriteIds(payload, off, end);
      if (3 * count + 4 > offs.length) {
        const grown = new Uint32Array(offs.length * 2 + 1);
        grown.set(offs);
        offs = grown;
      }
      offs[3 * count] = start;
      offs[3 * count + 1] = keyStart;
      offs[3 * count + 2] = keyEnd;
      count++;
      prevKeyStart = keyStart;
      prevKeyEnd = keyEnd;
    }
    offs[3 * count] = end;
    // Exactly sized: a cached block should not carry the growth slack (its weight counts these bytes).
    return new DataBlock(payload, offs.length === 3 * count + 1 ? offs : offs.slice(0, 3 * count + 1), count);
  }

  /** Bytes this block holds in a cache (payload + entry offsets + key heads). */
  get weight(): number {
    return this.payload.length + this.offs.byteLength + this.#heads.heads.byteLength;
  }

  entryStart(i: number): number {
    return this.offs[3 * i]!;
  }

  /** The ckey of entry i (a view into the payload). */
  keyAt(i: number): Buffer {
    return this.payload.subarray(this.offs[3 * i + 1]!, this.offs[3 * i + 2]!);
  }

  /** compare(entry i's ckey, ckey) (sign only), in place: nothing is decoded or allocated. */
  compareKey(i: number, ckey: Uint8Array): number {
    return compareBytes(this.payload, this.offs[3 * i + 1]!, this.offs[3 * i + 2]!, ckey, 0, ckey.length);
  }

  /** The first entry whose ckey ≥ `ckey` (count if none): a binary search over the entry offsets, in place (§7). */
  lowerBound(ckey: Uint8Array): number {
    return this.#heads.lowerBound(this.payload, this.offs, 1, this.offs, 2, 3, this.count, ckey);
  }

  /** The entry index holding exactly `ckey`, or -1. */
  find(ckey: Uint8Array): number {
    const i = this.lowerBound(ckey);
    return i < this.count && this.compareKey(i, ckey) === 0 ? i : -1;
  }

  /** Byte ranges of entry i's encoded set (without its set_len) and wids list, in payload offsets. */
  ranges(i: number): { setStart: number; setEnd: number; widsEnd: number } {
    const keyEnd = this.offs[3 * i + 2]!;
    const widsEnd = this.offs[3 * i + 3]!;
    const [slen, setStart] = varintAt(this.payload, keyEnd, widsEnd);
    return { setStart, setEnd: setStart + slen, widsEnd };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Index block

export interface BlockHandle {
  readonly offset: number;
  readonly length: number;
}

export interface IndexEntry extends BlockHandle {
  readonly lastKey: Uint8Array;
}

export function encodeIndexPayload(entries: readonly IndexEntry[]): Buffer {
  let size = varintSize(entries.length);
  for (const e of entries) size += varintSize(e.lastKey.length) + e.lastKey.length + varintSize(e.offset) + varintSize(e.length);
  const buf = Buffer.allocUnsafe(size);
  let off = writeVarint(buf, 0, entries.length);
  for (const e of entries) {
    off = writeVarint(buf, off, e.lastKey.length);
    buf.set(e.lastKey, off);
    off += e.lastKey.length;
    off = writeVarint(buf, off, e.offset);
    off = writeVarint(buf, off, e.length);
  }
  return buf;
}

/**
 * A decoded index block. Last keys stay views into the pinned payload; offsets and lengths are plain arrays so a
 * lookup is one binary search without allocation.
 */
export class IndexBlock {
  readonly payload: Buffer;
  readonly count: number;
  readonly keyStarts: Uint32Array;
  readonly keyEnds: Uint32Array;
  readonly offsets: Float64Array;
  readonly lengths: Float64Array;
  #heads: KeyHeads | undefined;

  private constructor(payload: Buffer, count: number) {
    this.payload = payload;
    this.count = count;
    this.keyStarts = new Uint32Array(count);
    this.keyEnds = new Uint32Array(count);
    this.offsets = new Float64Array(count);
    this.lengths = new Float64Array(count);
  }

  /**
   * Decodes and checks the index: framing, no trailing bytes, strictly increasing last keys, data block handles
   * contiguous from offset 0 and ending exactly at `dataEnd` (= index_offset), each at least a trailer long.
   */
  static parse(payload: Buffer, dataEnd: number): IndexBlock {
    const end = payload.length;
    let [count, off] = varintAt(payload, 0, end);
    // Each entry takes at least 4 bytes: a cheap bound before allocating.
    if (count * 4 > end) fail('index count larger than its block', 0);
    const ix = new IndexBlock(payload, count);
    let expected = 0;
    for (let i = 0; i < count; i++) {
      const start = off;
      let klen: number;
      [klen, off] = varintAt(payload, off, end);
      if (klen === 0) fail('empty last key in the index', start);
      if (off + klen > end) fail('index key past the end of its block', start);
      ix.keyStarts[i] = off;
      ix.keyEnds[i] = off + klen;
      if (i > 0 && compareBytes(payload, off, off + klen, payload, ix.keyStarts[i - 1]!, ix.keyEnds[i - 1]!) <= 0) {
        fail('index last keys not strictly increasing', start);
      }
      off += klen;
      let boff: number;
      let blen: number;
      [boff, off] = varintAt(payload, off, end);
      [blen, off] = varintAt(payload, off, end);
      if (boff !== expected) fail(`data block ${i} handle offset ${boff}, expected ${expected}`, start);
      if (blen <= BLOCK_TRAILER_SIZE) fail(`data block ${i} handle length ${blen} too small`, start);
      ix.offsets[i] = boff;
      ix.lengths[i] = blen;
      expected = boff + blen;
    }
    if (off !== end) fail('trailing bytes after the index', off);
    if (expected !== dataEnd) fail(`data blocks end at ${expected}, index starts at ${dataEnd}`, 0);
    ix.#heads = new KeyHeads(payload, ix.keyStarts, 0, ix.keyEnds, 0, 1, count);
    return ix;
  }

  lastKey(i: number): Buffer {
    return this.payload.subarray(this.keyStarts[i]!, this.keyEnds[i]!);
  }

  /** The first block whose last_key ≥ ckey, or count when ckey is past the table (no allocation). */
  findBlock(ckey: Uint8Array): number {
    return this.#heads!.lowerBound(this.payload, this.keyStarts, 0, this.keyEnds, 0, 1, this.count, ckey);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Bloom block

export function encodeBloomPayload(f: BloomFilter): Buffer {
  const buf = Buffer.allocUnsafe(BLOOM_HEADER_SIZE + f.bits.length);
  buf[0] = BLOOM_SCHEME;
  buf[1] = f.k;
  buf.writeUInt32LE(f.nKeys, 2);
  buf.writeUInt32LE(f.mBits, 6);
  buf.set(f.bits, BLOOM_HEADER_SIZE);
  return buf;
}

/** The filter of a bloom payload; the bit array stays a view into it. */
export function decodeBloomPayload(payload: Buffer): BloomFilter {
  if (payload.length < BLOOM_HEADER_SIZE) fail('bloom block shorter than its header', 0);
  if (payload[0] !== BLOOM_SCHEME) fail(`unknown bloom scheme ${payload[0]}`, 0);
  const k = payload[1]!;
  if (k < 1 || k > 30) fail(`bloom k ${k} outside 1..30`, 1);
  const nKeys = payload.readUInt32LE(2);
  const mBits = payload.readUInt32LE(6);
  if (mBits < 64 || mBits % 8 !== 0) fail(`bloom m_bits ${mBits} not a multiple of 8 ≥ 64`, 6);
  if (payload.length !== BLOOM_HEADER_SIZE + mBits / 8) fail('bloom bit array length does not match m_bits', 6);
  return new BloomFilter(k, nKeys, mBits, payload.subarray(BLOOM_HEADER_SIZE));
}

// ---------------------------------------------------------------------------------------------------------------
// Properties block

export type TableReason = 'flush' | 'compaction';

export interface TableProperties {
  format: number;
  file: number;
  level: number;
  created_ms: number;
  reason: TableReason;
  keys: number;
  versions: number;
  tombstones: number;
  min_key: string;
  max_key: string;
  min_ts: number;
  max_ts: number;
  oldest_tombstone_ts: number | null;
  data_blocks: number;
  data_bytes: number;
  bloom_bits_per_key: number;
  bloom_k: number;
  engine: string;
}

export function encodePropertiesPayload(p: TableProperties): Buffer {
  // Fixed key order, so equal tables are byte-identical (golden files).
  const ordered: TableProperties = {
    format: p.format,
    file: p.file,
    level: p.level,
    created_ms: p.created_ms,
    reason: p.reason,
    keys: p.keys,
    versions: p.versions,
    tombstones: p.tombstones,
    min_key: p.min_key,
    max_key: p.max_key,
    min_ts: p.min_ts,
    max_ts: p.max_ts,
    oldest_tombstone_ts: p.oldest_tombstone_ts,
    data_blocks: p.data_blocks,
    data_bytes: p.data_bytes,
    bloom_bits_per_key: p.bloom_bits_per_key,
    bloom_k: p.bloom_k,
    engine: p.engine,
  };
  return Buffer.from(JSON.stringify(ordered), 'utf8');
}

const UINT_FIELDS = [
  'format',
  'file',
  'level',
  'created_ms',
  'keys',
  'versions',
  'tombstones',
  'min_ts',
  'max_ts',
  'data_blocks',
  'data_bytes',
  'bloom_bits_per_key',
  'bloom_k',
] as const;

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses and type-checks a properties payload (unknown fields are ignored, §4). */
export function decodePropertiesPayload(payload: Buffer): TableProperties {
  let obj: unknown;
  try {
    obj = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return fail('properties block is not UTF-8 JSON', 0);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) fail('properties block is not a JSON object', 0);
  const o = obj as Record<string, unknown>;
  for (const f of UINT_FIELDS) if (!isUint(o[f])) fail(`properties field ${f} missing or not an unsigned integer`, 0);
  if (o.format !== SST_FORMAT_VERSION) fail(`properties format ${String(o.format)}`, 0);
  if (o.reason !== 'flush' && o.reason !== 'compaction') fail('properties field reason invalid', 0);
  for (const f of ['min_key', 'max_key'] as const) {
    const v = o[f];
    if (typeof v !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(v)) fail(`properties field ${f} not a hex ckey`, 0);
  }
  if (o.oldest_tombstone_ts !== null && !isUint(o.oldest_tombstone_ts)) fail('properties field oldest_tombstone_ts invalid', 0);
  if (typeof o.engine !== 'string') fail('properties field engine missing', 0);
  return o as unknown as TableProperties;
}

// ---------------------------------------------------------------------------------------------------------------
// Footer

export interface Footer {
  readonly indexOffset: number;
  readonly indexLength: number;
  readonly bloomOffset: number;
  readonly bloomLength: number;
  readonly propsOffset: number;
  readonly propsLength: number;
  readonly dataBlocks: number;
  readonly formatVersion: number;
  readonly fileCrc: number;
}

export function encodeFooter(f: Omit<Footer, 'formatVersion'> & { formatVersion?: number }): Buffer {
  const buf = Buffer.alloc(FOOTER_SIZE);
  writeU64(buf, 0, f.indexOffset);
  buf.writeUInt32LE(f.indexLength, 8);
  writeU64(buf, 12, f.bloomOffset);
  buf.writeUInt32LE(f.bloomLength, 20);
  writeU64(buf, 28, f.propsOffset);
  buf.writeUInt32LE(f.propsLength, 36);
  buf.writeUInt32LE(f.dataBlocks, 40);
  buf.writeUInt32LE(f.formatVersion ?? SST_FORMAT_VERSION, 44);
  buf.writeUInt32LE(f.fileCrc >>> 0, 48);
  buf.writeUInt32LE(crc32(buf.subarray(0, 52)), 52);
  SST_MAGIC.copy(buf, 56);
  return buf;
}

/** Whether the footer's magic and footer_crc are right (inspect reports them separately). */
export function footerChecks(footer: Buffer): { magicOk: boolean; crcOk: boolean } {
  return {
    magicOk: footer.length === FOOTER_SIZE && footer.subarray(56, 64).equals(SST_MAGIC),
    crcOk: footer.length === FOOTER_SIZE && footer.readUInt32LE(52) === crc32(footer.subarray(0, 52)),
  };
}

/** Reads the footer fields without checking anything (inspect shows them even when a check failed). */
export function readFooterFields(footer: Buffer): Footer {
  const u64 = (at: number): number => footer.readUInt32LE(at + 4) * 0x1_0000_0000 + footer.readUInt32LE(at);
  return {
    indexOffset: u64(0),
    indexLength: footer.readUInt32LE(8),
    bloomOffset: u64(12),
    bloomLength: footer.readUInt32LE(20),
    propsOffset: u64(28),
    propsLength: footer.readUInt32LE(36),
    dataBlocks: footer.readUInt32LE(40),
    formatVersion: footer.readUInt32LE(44),
    fileCrc: footer.readUInt32LE(48),
  };
}

/**
 * Decodes and checks the 64-byte footer of a file of `fileSize` bytes: magic, footer_crc, version, u64 range, and
 * the exact layout (index, bloom and properties blocks contiguous and ending at the footer). Failures are reported
 * at footer-relative offsets.
 */
export function decodeFooter(footer: Buffer, fileSize: number): Footer {
  if (footer.length !== FOOTER_SIZE) fail('footer is not 64 bytes', 0);
  if (!footer.subarray(56, 64).equals(SST_MAGIC)) fail('bad footer magic', 56);
  if (footer.readUInt32LE(52) !== crc32(footer.subarray(0, 52))) fail('footer crc mismatch', 52);
  const version = footer.readUInt32LE(44);
  if (version !== SST_FORMAT_VERSION) fail(`unsupported format version ${version}`, 44);
  let f: Footer;
  try {
    f = {
      indexOffset: readU64(footer, 0),
      indexLength: footer.readUInt32LE(8),
      bloomOffset: readU64(footer, 12),
      bloomLength: footer.readUInt32LE(20),
      propsOffset: readU64(footer, 28),
      propsLength: footer.readUInt32LE(36),
      dataBlocks: footer.readUInt32LE(40),
      formatVersion: version,
      fileCrc: footer.readUInt32LE(48),
    };
  } catch {
    return fail('footer offset above 2^53-1', 0);
  }
  const body = fileSize - FOOTER_SIZE;
  if (f.indexLength < BLOCK_TRAILER_SIZE + 1 || f.bloomLength < BLOCK_TRAILER_SIZE || f.propsLength < BLOCK_TRAILER_SIZE) {
    fail('footer block length too small', 0);
  }
  if (f.propsOffset + f.propsLength !== body) fail('properties block does not end at the footer', 28);
  if (f.bloomOffset + f.bloomLength !== f.propsOffset) fail('bloom block does not end at the properties block', 12);
  if (f.indexOffset + f.indexLength !== f.bloomOffset) fail('index block does not end at the bloom block', 0);
  if (f.dataBlocks === 0 || f.indexOffset === 0) fail('table without data blocks', 40);
  return f;
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers shared by writer, reader and tools

/** crc32 continuing from `prev` (zlib.crc32's second argument), for the file_crc accumulated while writing. */
export function crc32Continue(data: Uint8Array, prev: number): number {
  return crc32(data, prev);
}

/** Per-set statistics the properties block records. */
export interface SetStats {
  versions: number;
  tombstones: number;
  minTs: number;
  maxTs: number;
  /** Least timestamp_ms of a tombstone, or Infinity. */
  oldestTombstoneTs: number;
}

export function setStats(vs: readonly Version[], into: SetStats): void {
  for (const v of vs) {
    into.versions++;
    if (v.timestampMs < into.minTs) into.minTs = v.timestampMs;
    if (v.timestampMs > into.maxTs) into.maxTs = v.timestampMs;
    if (v.tombstone) {
      into.tombstones++;
      if (v.timestampMs < into.oldestTombstoneTs) into.oldestTombstoneTs = v.timestampMs;
    }
  }
}

export function emptySetStats(): SetStats {
  return { versions: 0, tombstones: 0, minTs: Infinity, maxTs: -Infinity, oldestTombstoneTs: Infinity };
}

const SST_NAME = /^(\d{20})\.sst$/;

export function sstFileName(n: number): string {
  return `${String(n).padStart(20, '0')}.sst`;
}

/** The file number of a table file name, or undefined for other names. */
export function parseSstFileName(name: string): number | undefined {
  const m = SST_NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}
