import type { Clock, ClockEntry } from './vector-clock.js';
import type { Version } from './version.js';

/**
 * The canonical version encoding of storage-engine.md §1, shared by the commit log, SSTables and digests:
 *
 *   flags u8 (bit0 tombstone, bit1 lww) | ts_ms varint | writer_len u8 | writer | wid_len u8 | write_id
 *   | clock_n varint | clock_n × (actor_len u8 | actor | counter varint) | value_len varint | value (values only)
 *
 * varint = unsigned LEB128, ≤ 8 bytes, ≤ 2^53-1; anything else is corruption.
 */

export class CorruptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptionError';
  }
}

const MAX_VARINT_BYTES = 8;

export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes `n` at `off`, returns the new offset. */
export function writeVarint(buf: Buffer, off: number, n: number): number {
  while (n >= 0x80) {
    buf[off++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[off++] = n;
  return off;
}

/** Reads a varint at `off` within [off, end); returns [value, newOffset]. */
export function readVarint(buf: Buffer, off: number, end: number = buf.length): [number, number] {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (off >= end) throw new CorruptionError('varint past the end of its container');
    const b = buf[off++]!;
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      if (result > Number.MAX_SAFE_INTEGER) throw new CorruptionError('varint above 2^53-1');
      return [result, off];
    }
    mul *= 128;
  }
  throw new CorruptionError('varint longer than 8 bytes');
}

function byteLen(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

export function encodedVersionSize(v: Version): number {
  let n = 1 + varintSize(v.timestampMs) + 1 + byteLen(v.writerId) + 1 + v.writeId.length + varintSize(v.clock.length);
  for (const e of v.clock) n += 1 + byteLen(e.actor) + varintSize(e.counter);
  if (!v.tombstone) n += varintSize(v.value.length) + v.value.length;
  return n;
}

/** Writes the canonical encoding of `v` at `off`; returns the new offset. */
export function writeVersion(buf: Buffer, off: number, v: Version): number {
  buf[off++] = (v.tombstone ? 1 : 0) | (v.lww ? 2 : 0);
  off = writeVarint(buf, off, v.timestampMs);
  const wl = buf.write(v.writerId, off + 1, 'utf8');
  buf[off] = wl;
  off += 1 + wl;
  buf[off++] = v.writeId.length;
  off += v.writeId.copy(buf, off);
  off = writeVarint(buf, off, v.clock.length);
  for (const e of v.clock) {
    const al = buf.write(e.actor, off + 1, 'utf8');
    buf[off] = al;
    off += 1 + al;
    off = writeVarint(buf, off, e.counter);
  }
  if (!v.tombstone) {
    off = writeVarint(buf, off, v.value.length);
    off += v.value.copy(buf, off);
  }
  return off;
}

export function encodeVersion(v: Version): Buffer {
  const buf = Buffer.allocUnsafe(encodedVersionSize(v));
  const end = writeVersion(buf, 0, v);
  return end === buf.length ? buf : buf.subarray(0, end);
}

/** Decodes exactly one version occupying [off, end). */
export function decodeVersion(buf: Buffer, off = 0, end = buf.length): Version {
  const [v, next] = readVersion(buf, off, end);
  if (next !== end) throw new CorruptionError('trailing bytes after a version');
  return v;
}

/** The value / write id of every decoded version whose field is empty (zero length: nothing to mutate). */
const EMPTY = Buffer.alloc(0);

/**
 * Short UTF-8 strings (writer ids, clock actors) decoded recently: a cluster has a handful of coordinators, so a
 * read decoding thousands of versions would otherwise make thousands of copies of the same few strings, and a
 * decoded set kept in the row cache would hold them all (retained heap and scavenge work; read-path profile).
 * Round-robin over 16 slots; an entry is only returned for identical bytes.
 */
const INTERN_SLOTS = 16;
const INTERN_MAX_BYTES = 32;
const internBytes: Array<Buffer | undefined> = new Array(INTERN_SLOTS).fill(undefined);
const internStrings: string[] = new Array(INTERN_SLOTS).fill('');
let internNext = 0;

function utf8At(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len === 0) return '';
  if (len > INTERN_MAX_BYTES) return buf.toString('utf8', start, end);
  outer: for (let s = 0; s < INTERN_SLOTS; s++) {
    const b = internBytes[s];
    if (b === undefined || b.length !== len) continue;
    for (let i = 0; i < len; i++) if (b[i] !== buf[start + i]) continue outer;
    return internStrings[s]!;
  }
  const str = buf.toString('utf8', start, end);
  internBytes[internNext] = Buffer.from(buf.subarray(start, end));
  internStrings[internNext] = str;
  internNext = (internNext + 1) % INTERN_SLOTS;
  return str;
}

/** A copy of buf[start, end) (allocUnsafe + copy: ~2× cheaper than Buffer.from(buf.subarray(…)) for small fields). */
function copyOut(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  buf.copy(out, 0, start, end);
  return out;
}

/**
 * Reads one version starting at `off`; returns it and the offset after it. Byte fields are copied out of `buf`
 * (a version never pins the block or log buffer it came from); empty ones share one zero-length Buffer.
 */
export function readVersion(buf: Buffer, off: number, end: number): [Version, number] {
  if (off >= end) throw new CorruptionError('empty version');
  const flags = buf[off++]!;
  if (flags & 0xfc) throw new CorruptionError('version flags bits 2-7 set');
  const tombstone = (flags & 1) !== 0;
  const lww = (flags & 2) !== 0;
  let timestampMs: number;
  [timestampMs, off] = readVarint(buf, off, end);
  if (off >= end) throw new CorruptionError('length past the end of a version');
  const writerLen = buf[off++]!;
  if (off + writerLen > end) throw new CorruptionError('length past the end of a version');
  const writerId = utf8At(buf, off, off + writerLen);
  off += writerLen;
  if (off >= end) throw new CorruptionError('length past the end of a version');
  const widLen = buf[off++]!;
  if (off + widLen > end) throw new CorruptionError('length past the end of a version');
  const writeId = widLen === 0 ? EMPTY : copyOut(buf, off, off + widLen);
  off += widLen;
  let n: number;
  [n, off] = readVarint(buf, off, end);
  if (n > 1000) throw new CorruptionError('clock with more than 1000 entries');
  const clock: ClockEntry[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (off >= end) throw new CorruptionError('length past the end of a version');
    const al = buf[off++]!;
    if (off + al > end) throw new CorruptionError('length past the end of a version');
    const actor = utf8At(buf, off, off + al);
    off += al;
    let counter: number;
    [counter, off] = readVarint(buf, off, end);
    clock[i] = { actor, counter };
  }
  let value: Buffer = EMPTY;
  if (!tombstone) {
    let vl: number;
    [vl, off] = readVarint(buf, off, end);
    if (off + vl > end) throw new CorruptionError('length past the end of a version');
    if (vl > 0) value = copyOut(buf, off, off + vl);
    off += vl;
  }
  return [{ clock: clock as Clock, value, tombstone, lww, timestampMs, writerId, writeId }, off];
}

/** Version set: `count varint | count × (len varint | version)`, sorted by encoding. */
export function encodeVersionSet(vs: readonly Version[]): Buffer {
  const encs = vs.map(encodeVersion).sort(Buffer.compare);
  let size = varintSize(encs.length);
  for (const e of encs) size += varintSize(e.length) + e.length;
  const buf = Buffer.allocUnsafe(size);
  let off = writeVarint(buf, 0, encs.length);
  for (const e of encs) {
    off = writeVarint(buf, off, e.length);
    off += e.copy(buf, off);
  }
  return buf;
}

export function decodeVersionSet(buf: Buffer, off = 0, end = buf.length): Version[] {
  let count: number;
  [count, off] = readVarint(buf, off, end);
  const out: Version[] = [];
  for (let i = 0; i < count; i++) {
    let len: number;
    [len, off] = readVarint(buf, off, end);
    if (off + len > end) throw new CorruptionError('version length past the end of its set');
    out.push(decodeVersion(buf, off, off + len));
    off += len;
  }
  if (off !== end) throw new CorruptionError('trailing bytes after a version set');
  return out;
}
