import { crc32 } from 'node:zlib';
import { decodeVersionSet, encodeVersionSet } from '../model/version-codec.js';
import type { Version } from '../model/version.js';

/**
 * The hint log's record format (cluster.md §9 "segments `<data_dir>/hints/<node_id>/NNNNNNNN.log` (records
 * `crc32 | length | payload`)"). Pure: encode and decode only.
 *
 *   record  = crc32 u32 LE (of length ‖ payload) | length u32 LE | payload
 *   payload = hint_id u64 LE | created_at_ms u64 LE | expires_at_ms u64 LE | tenant_len u16 LE | tenant (UTF-8) |
 *             key_len u32 LE | key (UTF-8) | version set (storage-engine.md §1 set encoding, versions verbatim)
 */

/** One hint: a key's versions owed to one target node (never re-clocked). */
export interface Hint {
  /** Increasing per target (delivery order and the delivered cursor). */
  readonly hintId: number;
  readonly tenantId: string;
  readonly key: string;
  readonly versions: readonly Version[];
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
}

export const HINT_RECORD_HEADER = 8;
/** A single hint larger than this is refused (a key record is bounded far below by the API limits). */
export const MAX_HINT_PAYLOAD = 16 * 1024 * 1024;

export function encodeHintRecord(h: Hint): Buffer {
  const tenant = Buffer.from(h.tenantId, 'utf8');
  const key = Buffer.from(h.key, 'utf8');
  const set = encodeVersionSet(h.versions);
  const payloadLen = 24 + 2 + tenant.length + 4 + key.length + set.length;
  if (payloadLen > MAX_HINT_PAYLOAD) throw new RangeError(`hint of ${payloadLen} bytes exceeds ${MAX_HINT_PAYLOAD}`);
  const buf = Buffer.allocUnsafe(HINT_RECORD_HEADER + payloadLen);
  let o = HINT_RECORD_HEADER;
  buf.writeBigUInt64LE(BigInt(h.hintId), o);
  buf.writeBigUInt64LE(BigInt(h.createdAtMs), o + 8);
  buf.writeBigUInt64LE(BigInt(h.expiresAtMs), o + 16);
  o += 24;
  buf.writeUInt16LE(tenant.length, o);
  tenant.copy(buf, o + 2);
  o += 2 + tenant.length;
  buf.writeUInt32LE(key.length, o);
  key.copy(buf, o + 4);
  o += 4 + key.length;
  set.copy(buf, o);
  buf.writeUInt32LE(payloadLen, 4);
  buf.writeUInt32LE(crc32(buf.subarray(4)), 0);
  return buf;
}

export type HintRecordRead =
  | { readonly ok: true; readonly hint: Hint; readonly end: number }
  /** `torn`: the record runs past the end of the data (an unfinished append); `bad`: a complete record that is wrong. */
  | { readonly ok: false; readonly problem: 'torn' | 'bad'; readonly what: string };

/** Reads the record at `off` of `buf`. */
export function readHintRecord(buf: Buffer, off: number): HintRecordRead {
  if (off + HINT_RECORD_HEADER > buf.length) return { ok: false, problem: 'torn', what: 'short record header' };
  const length = buf.readUInt32LE(off + 4);
  if (length === 0 || length > MAX_HINT_PAYLOAD) {
    // An all-zero header (a preallocated or zero-filled tail) is an unfinished append, anything else is damage.
    const zero = buf.readUInt32LE(off) === 0 && length === 0;
    return { ok: false, problem: zero ? 'torn' : 'bad', what: `record length ${length}` };
  }
  const end = off + HINT_RECORD_HEADER + length;
  if (end > buf.length) return { ok: false, problem: 'torn', what: 'record past the end of the file' };
  if (buf.readUInt32LE(off) !== crc32(buf.subarray(off + 4, end))) return { ok: false, problem: 'bad', what: 'record crc mismatch' };
  try {
    let o = off + HINT_RECORD_HEADER;
    const hintId = Number(buf.readBigUInt64LE(o));
    const createdAtMs = Number(buf.readBigUInt64LE(o + 8));
    const expiresAtMs = Number(buf.readBigUInt64LE(o + 16));
    o += 24;
    const tl = buf.readUInt16LE(o);
    const tenantId = buf.toString('utf8', o + 2, o + 2 + tl);
    o += 2 + tl;
    const kl = buf.readUInt32LE(o);
    const key = buf.toString('utf8', o + 4, o + 4 + kl);
    o += 4 + kl;
    if (o > end) throw new RangeError('fields past the record');
    const versions = decodeVersionSet(buf, o, end);
    return { ok: true, hint: { hintId, tenantId, key, versions, createdAtMs, expiresAtMs }, end };
  } catch (err) {
    return { ok: false, problem: 'bad', what: `undecodable record: ${(err as Error).message}` };
  }
}
