import { CorruptionError, readVarint, varintSize, writeVarint } from '../model/version-codec.js';

/**
 * Write-id memory (cluster.md §5, storage-engine.md §13): per key, up to 32 (write_id, timestamp_ms) pairs of
 * client writes, kept 24 h, merged by union, expired by age, newest kept. A CLIENT write whose write_id is listed
 * is a no-op answered DUPLICATE.
 */
export interface WriteIdEntry {
  readonly writeId: Buffer;
  readonly timestampMs: number;
}

export const MAX_WRITE_IDS = 32;
export const WRITE_ID_TTL_MS = 24 * 60 * 60 * 1000;

export const NO_WRITE_IDS: readonly WriteIdEntry[] = Object.freeze([]);

/** Whether `writeId` (non-empty) is listed in `list`. */
export function hasWriteId(list: readonly WriteIdEntry[], writeId: Buffer): boolean {
  if (writeId.length === 0) return false;
  for (const e of list) if (e.writeId.equals(writeId)) return true;
  return false;
}

/**
 * Union of `current` and `incoming`, dropping pairs older than 24 h (relative to `nowMs`) and keeping the 32
 * newest; sorted by write_id bytes (the on-disk order). Returns `current` itself when nothing changes, so callers
 * can detect a no-op by identity.
 */
export function mergeWriteIds(
  current: readonly WriteIdEntry[],
  incoming: readonly WriteIdEntry[],
  nowMs: number,
): readonly WriteIdEntry[] {
  const floor = nowMs - WRITE_ID_TTL_MS;
  let out: WriteIdEntry[] | undefined;
  for (const e of incoming) {
    if (e.writeId.length === 0 || e.timestampMs < floor) continue;
    const list = out ?? current;
    let found = -1;
    for (let i = 0; i < list.length; i++) {
      if (list[i]!.writeId.equals(e.writeId)) {
        found = i;
        break;
      }
    }
    if (found >= 0) {
      // Same write id seen again: keep the larger timestamp (replays of one write carry the same one).
      if (list[found]!.timestampMs >= e.timestampMs) continue;
      out ??= current.slice();
      out[found] = e;
      continue;
    }
    out ??= current.slice();
    out.push(e);
  }
  let expired = false;
  for (const e of out ?? current) {
    if (e.timestampMs < floor) {
      expired = true;
      break;
    }
  }
  if (!out && !expired && current.length <= MAX_WRITE_IDS) return current;
  let list = (out ?? current.slice()).filter((e) => e.timestampMs >= floor);
  if (list.length > MAX_WRITE_IDS) {
    // Newest kept: sort by age (ties by id for determinism), keep 32, then restore id order.
    list.sort((a, b) => b.timestampMs - a.timestampMs || Buffer.compare(a.writeId, b.writeId));
    list = list.slice(0, MAX_WRITE_IDS);
  }
  list.sort((a, b) => Buffer.compare(a.writeId, b.writeId));
  return list;
}

/** Encoded size of `wids = n varint | n × (wid_len u8 | write_id | ts_ms varint)`. */
export function writeIdsSize(list: readonly WriteIdEntry[]): number {
  let n = varintSize(list.length);
  for (const e of list) n += 1 + e.writeId.length + varintSize(e.timestampMs);
  return n;
}

/** Writes `list` (already sorted by write_id) at `off`; returns the new offset. */
export function writeWriteIds(buf: Buffer, off: number, list: readonly WriteIdEntry[]): number {
  off = writeVarint(buf, off, list.length);
  for (const e of list) {
    buf[off++] = e.writeId.length;
    off += e.writeId.copy(buf, off);
    off = writeVarint(buf, off, e.timestampMs);
  }
  return off;
}

/** Reads a wids list within [off, end); returns it and the offset after it. */
export function readWriteIds(buf: Buffer, off: number, end: number): [WriteIdEntry[], number] {
  let n: number;
  [n, off] = readVarint(buf, off, end);
  if (n > 255) throw new CorruptionError('write-id list too long');
  const out: WriteIdEntry[] = [];
  for (let i = 0; i < n; i++) {
    if (off >= end) throw new CorruptionError('write-id list past the end of its container');
    const len = buf[off++]!;
    if (off + len > end) throw new CorruptionError('write id past the end of its container');
    const writeId = Buffer.from(buf.subarray(off, off + len));
    off += len;
    let ts: number;
    [ts, off] = readVarint(buf, off, end);
    out.push({ writeId, timestampMs: ts });
  }
  return [out, off];
}
