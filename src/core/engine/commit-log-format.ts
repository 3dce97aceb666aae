import { crc32 } from 'node:zlib';
import type { Version } from '../model/version.js';
import { CorruptionError, readVarint, readVersion } from '../model/version-codec.js';
import { type WriteIdEntry, readWriteIds } from './write-ids.js';

/**
 * Commit-log segment format v1 (storage-engine.md §2, §13), pure encoders and decoders shared by the log, its
 * recovery and the offline tools.
 *
 *   header (24 B): magic "pairDBcl" | format_version u32 = 1 | file number u64 | crc32 of bytes 0..19
 *   record:        crc u32 (of bytes 4 .. 9+length-1) | length u32 (1 .. 32 MiB) | type u8 | payload
 *   BATCH  (0x01): durable_mark u64 | count varint ≥ 1 | count × (ckey_len varint | ckey | ver_len varint | version | wids)
 *   ROTATE (0x02): next_segment u64
 */

export const SEGMENT_MAGIC = Buffer.from('pairDBcl', 'latin1');
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 24;
export const RECORD_HEADER_SIZE = 9;
export const MAX_RECORD_PAYLOAD = 32 * 1024 * 1024;
export const RECORD_BATCH = 0x01;
export const RECORD_ROTATE = 0x02;
export const ROTATE_RECORD_SIZE = RECORD_HEADER_SIZE + 8;
/** Largest value a u64 field may hold (numbers are exact up to 2^53-1; larger is corruption, §0). */
const MAX_U64_HIGH = 0x1fffff;

const SEGMENT_NAME = /^commitlog-(\d{20})\.log$/;

export function segmentFileName(n: number): string {
  return `commitlog-${String(n).padStart(20, '0')}.log`;
}

/** The segment number of a file name, or undefined for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function writeU64(buf: Buffer, off: number, n: number): number {
  buf.writeUInt32LE(n % 0x1_0000_0000, off);
  buf.writeUInt32LE(Math.floor(n / 0x1_0000_0000), off + 4);
  return off + 8;
}

/** Reads a u64 that must fit in 2^53-1. */
export function readU64(buf: Buffer, off: number): number {
  const high = buf.readUInt32LE(off + 4);
  if (high > MAX_U64_HIGH) throw new CorruptionError('u64 above 2^53-1');
  return high * 0x1_0000_0000 + buf.readUInt32LE(off);
}

export function encodeSegmentHeader(n: number): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE);
  SEGMENT_MAGIC.copy(buf, 0);
  buf.writeUInt32LE(FORMAT_VERSION, 8);
  writeU64(buf, 12, n);
  buf.writeUInt32LE(crc32(buf.subarray(0, 20)), 20);
  return buf;
}

/** Why a segment header is unusable, or undefined when it is valid for segment `n`. */
export function checkSegmentHeader(buf: Buffer, n: number): string | undefined {
  if (buf.length < HEADER_SIZE) return 'short header';
  if (!buf.subarray(0, 8).equals(SEGMENT_MAGIC)) return 'bad magic';
  if (buf.readUInt32LE(20) !== crc32(buf.subarray(0, 20))) return 'header crc mismatch';
  if (buf.readUInt32LE(8) !== FORMAT_VERSION) return `unsupported format version ${buf.readUInt32LE(8)}`;
  let fileNo: number;
  try {
    fileNo = readU64(buf, 12);
  } catch {
    return 'file number out of range';
  }
  if (fileNo !== n) return `header names segment ${fileNo}`;
  return undefined;
}

/** Fills the record header at `start` for a payload already written at start+9 .. start+9+length. */
export function sealRecord(buf: Buffer, start: number, type: number, length: number): void {
  buf.writeUInt32LE(length, start + 4);
  buf[start + 8] = type;
  buf.writeUInt32LE(crc32(buf.subarray(start + 4, start + RECORD_HEADER_SIZE + length)), start);
}

export function encodeRotateRecord(nextSegment: number): Buffer {
  const buf = Buffer.alloc(ROTATE_RECORD_SIZE);
  writeU64(buf, RECORD_HEADER_SIZE, nextSegment);
  sealRecord(buf, 0, RECORD_ROTATE, 8);
  return buf;
}

/** A record whose framing is valid: bounded length, known type, CRC ok (the §2 definition of "valid"). */
export interface FramedRecord {
  readonly type: number;
  readonly offset: number;
  readonly length: number;
  /** Offset after the record. */
  readonly end: number;
}

/** The valid record at `off`, or undefined if the bytes there are not one. */
export function readRecordAt(buf: Buffer, off: number, end = buf.length): FramedRecord | undefined {
  if (off + RECORD_HEADER_SIZE > end) return undefined;
  const length = buf.readUInt32LE(off + 4);
  if (length < 1 || length > MAX_RECORD_PAYLOAD || off + RECORD_HEADER_SIZE + length > end) return undefined;
  const type = buf[off + 8]!;
  if (type !== RECORD_BATCH && type !== RECORD_ROTATE) return undefined;
  if (buf.readUInt32LE(off) !== crc32(buf.subarray(off + 4, off + RECORD_HEADER_SIZE + length))) return undefined;
  return { type, offset: off, length, end: off + RECORD_HEADER_SIZE + length };
}

/** One write as logged: the composite key's parts, the version and the write-id pairs it adds (§13). */
export interface LogWrite {
  readonly tenantId: string;
  readonly key: string;
  readonly version: Version;
  readonly wids: readonly WriteIdEntry[];
}

export interface DecodedBatch {
  readonly durableMark: number;
  readonly writes: LogWrite[];
  /** Offset of each write's entry within the buffer (for `commitlog dump`). */
  readonly offsets: number[];
}

/** Decodes a BATCH payload occupying [start, end); throws CorruptionError on any malformation. */
export function decodeBatchPayload(buf: Buffer, start: number, end: number): DecodedBatch {
  if (end - start < 9) throw new CorruptionError('batch payload too short');
  const durableMark = readU64(buf, start);
  let off = start + 8;
  let count: number;
  [count, off] = readVarint(buf, off, end);
  if (count < 1) throw new CorruptionError('empty batch');
  const writes: LogWrite[] = [];
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) {
    offsets.push(off);
    let ckeyLen: number;
    [ckeyLen, off] = readVarint(buf, off, end);
    if (off + ckeyLen > end) throw new CorruptionError('ckey past the end of the batch');
    const sep = buf.indexOf(0, off);
    if (sep < 0 || sep >= off + ckeyLen || sep === off) throw new CorruptionError('ckey without a tenant separator');
    const tenantId = buf.toString('utf8', off, sep);
    const key = buf.toString('utf8', sep + 1, off + ckeyLen);
    off += ckeyLen;
    let verLen: number;
    [verLen, off] = readVarint(buf, off, end);
    if (off + verLen > end) throw new CorruptionError('version past the end of the batch');
    const [version, next] = readVersion(buf, off, off + verLen);
    if (next !== off + verLen) throw new CorruptionError('trailing bytes after a version');
    off = next;
    let wids: WriteIdEntry[];
    [wids, off] = readWriteIds(buf, off, end);
    writes.push({ tenantId, key, version, wids });
  }
  if (off !== end) throw new CorruptionError('trailing bytes after a batch');
  return { durableMark, writes, offsets };
}

/** Decodes a ROTATE payload: the next segment number. */
export function decodeRotatePayload(buf: Buffer, start: number, end: number): number {
  if (end - start !== 8) throw new CorruptionError('rotate payload is not 8 bytes');
  return readU64(buf, start);
}

/** The durable_mark of a valid record, for the §2 recovery rule; a ROTATE marks its own offset (see commit-log.ts). */
export function durableMarkOf(buf: Buffer, rec: FramedRecord): number {
  if (rec.type === RECORD_ROTATE) return rec.offset;
  if (rec.length < 8) return 0;
  try {
    return readU64(buf, rec.offset + RECORD_HEADER_SIZE);
  } catch {
    return 0;
  }
}
