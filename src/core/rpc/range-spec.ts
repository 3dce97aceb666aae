import type { RingRange } from '../engine/engine.js';
import type { MergedEntry } from '../engine/merge-iterator.js';
import { ckeyPosition, ckeyTenant, inRingRange } from '../engine/range-digest.js';
import { PairdbError } from '../errors.js';
import { versionToWire } from '../model/version-wire.js';
import type * as pb from './types.js';

/**
 * Wire ↔ engine conversions of the range messages (rpc.md §8 HashRange, RangeSpec, ScanCursor, KeyRecord) and the
 * ScanRange batching rule (rpc.md §4), pure. Anything malformed is INVALID_REQUEST (gRPC INVALID_ARGUMENT).
 */

const MAX_U64 = (1n << 64n) - 1n;
const TENANT_RE = /^[A-Za-z0-9._-]{1,255}$/;
const U64_TEXT = /^\d{1,20}$/;

/** rpc.md §4: ScanRange batches hold ≤ 1000 records and ≤ 4 MiB, except one larger record travels alone. */
export const MAX_SCAN_BATCH_RECORDS = 1000;
export const MAX_SCAN_BATCH_BYTES = 4 * 1024 * 1024;

function invalid(message: string): PairdbError {
  return new PairdbError('INVALID_REQUEST', message);
}

function u64(v: string | number, what: string): bigint {
  const text = String(v);
  if (!U64_TEXT.test(text)) throw invalid(`${what} ${JSON.stringify(text)} is not a uint64`);
  const n = BigInt(text);
  if (n > MAX_U64) throw invalid(`${what} ${text} is not a uint64`);
  return n;
}

/** A HashRange; an unset one (null) is the whole ring (start = end = 0). */
export function ringRangeFromWire(h: pb.HashRange__Output | null | undefined, what = 'range'): RingRange {
  if (!h) return { start: 0n, end: 0n };
  return { start: u64(h.start, `${what} start`), end: u64(h.end, `${what} end`) };
}

export function tenantsFromWire(ids: readonly string[]): string[] {
  for (const t of ids) if (!TENANT_RE.test(t)) throw invalid(`tenant id ${JSON.stringify(t)} does not match [A-Za-z0-9._-]{1,255}`);
  return [...ids];
}

export interface ParsedRangeSpec {
  /** Empty = the whole ring. */
  readonly ranges: readonly RingRange[];
  /** Empty = every tenant. */
  readonly tenants: readonly string[];
}

/** A RangeSpec; an unset one (null) matches everything. */
export function rangeSpecFromWire(spec: pb.RangeSpec__Output | null | undefined): ParsedRangeSpec {
  if (!spec) return { ranges: [], tenants: [] };
  return { ranges: spec.ranges.map((r, i) => ringRangeFromWire(r, `ranges[${i}]`)), tenants: tenantsFromWire(spec.tenant_ids) };
}

/** Whether a ckey falls in a parsed spec: tenant listed (or none listed) and ring position in a range (or none given). */
export function specMatches(spec: ParsedRangeSpec, ckey: Buffer): boolean {
  if (spec.tenants.length > 0 && !spec.tenants.includes(ckeyTenant(ckey))) return false;
  if (spec.ranges.length === 0) return true;
  const pos = ckeyPosition(ckey);
  return spec.ranges.some((r) => inRingRange(pos, r.start, r.end));
}

/**
 * Compact `drop` (rpc.md §6): a key is dropped when it matches any of the specs. Validated up front, so a bad spec
 * fails the call before any job starts.
 */
export function dropPredicate(specs: readonly pb.RangeSpec__Output[]): (ckey: Buffer) => boolean {
  const parsed = specs.map(rangeSpecFromWire);
  return (ckey) => parsed.some((s) => specMatches(s, ckey));
}

/** The exclusive resume point of a ScanCursor as a ckey; undefined when the cursor is unset or empty (= start). */
export function cursorToCkey(c: pb.ScanCursor__Output | null | undefined): Buffer | undefined {
  if (!c || (c.tenant_id === '' && c.key === '')) return undefined;
  if (c.tenant_id.includes('\u0000') || c.key.includes('\u0000')) throw invalid('resume_after must not contain NUL');
  return Buffer.from(`${c.tenant_id}\u0000${c.key}`, 'utf8');
}

/** tenant and key of a ckey (split at the first 0x00: tenant ids have none). */
export function splitCkey(ckey: Buffer): { tenantId: string; key: string } {
  const sep = ckey.indexOf(0);
  return { tenantId: ckey.toString('utf8', 0, sep), key: ckey.toString('utf8', sep + 1) };
}

/** A scanned key as a KeyRecord: its versions (tombstones included) and write-id memory, or the key alone. */
export function keyRecordOf(e: MergedEntry, keysOnly: boolean): pb.KeyRecord {
  const { tenantId, key } = splitCkey(e.ckey);
  if (keysOnly) return { tenant_id: tenantId, key, versions: [], recent_writes: [] };
  return {
    tenant_id: tenantId,
    key,
    versions: e.versions.map(versionToWire),
    recent_writes: e.wids.map((w) => ({ write_id: w.writeId, timestamp_ms: w.timestampMs })),
  };
}

/** Bytes of a length-delimited field at most: tag (1) + length varint (≤ 5) + payload. */
const field = (len: number): number => 6 + len;
const utf8 = (s: string | undefined): number => Buffer.byteLength(s ?? '', 'utf8');
const bytesLen = (b: unknown): number => (Buffer.isBuffer(b) ? b.length : typeof b === 'string' ? b.length : 0);

/**
 * An upper bound of a KeyRecord's protobuf size inside a batch (every varint counted at its longest), so batches
 * built from it never pass the 4 MiB limit.
 */
export function keyRecordWireSize(r: pb.KeyRecord): number {
  let n = field(utf8(r.tenant_id)) + field(utf8(r.key));
  for (const v of r.versions ?? []) {
    let clock = 0;
    for (const e of v.clock?.entries ?? []) clock += field(field(utf8(e.actor)) + 11);
    n += field(field(clock) + field(bytesLen(v.value)) + 2 + 11 + field(utf8(v.writer_id)) + field(bytesLen(v.write_id)) + 2);
  }
  for (const w of r.recent_writes ?? []) n += field(field(bytesLen(w.write_id)) + 11);
  return field(n);
}

/**
 * Cuts a stream of KeyRecords into ScanRange batches: a batch is sent when the next record would pass the record
 * limit or the byte limit; a record over the byte limit alone travels alone. The caller sends what `add` returns,
 * and at the end `finish()` (always a batch: the last one carries done = true, even when empty).
 */
export class ScanBatcher {
  readonly #maxRecords: number;
  #records: pb.KeyRecord[] = [];
  #bytes = 0;
  #cursor: pb.ScanCursor | null;

  /** @param batchSize records per batch, 0 = 1000, capped at 1000. @param start the resume cursor (cursor of an empty scan). */
  constructor(batchSize: number, start: pb.ScanCursor | null) {
    this.#maxRecords = batchSize <= 0 ? MAX_SCAN_BATCH_RECORDS : Math.min(batchSize, MAX_SCAN_BATCH_RECORDS);
    this.#cursor = start;
  }

  get maxRecords(): number {
    return this.#maxRecords;
  }

  /** Adds a record; returns the batch to send first when the record does not fit in the pending one. */
  add(record: pb.KeyRecord): pb.ScanRangeBatch | undefined {
    const size = keyRecordWireSize(record);
    let out: pb.ScanRangeBatch | undefined;
    if (this.#records.length > 0 && (this.#records.length >= this.#maxRecords || this.#bytes + size > MAX_SCAN_BATCH_BYTES)) out = this.#take(false);
    this.#records.push(record);
    this.#bytes += size;
    this.#cursor = { tenant_id: record.tenant_id, key: record.key };
    return out;
  }

  /** The last batch: what is pending (possibly nothing), done = true, the cursor of the last record. */
  finish(): pb.ScanRangeBatch {
    return this.#take(true);
  }

  #take(done: boolean): pb.ScanRangeBatch {
    const records = this.#records;
    const last = records[records.length - 1];
    this.#records = [];
    this.#bytes = 0;
    return { records, cursor: last ? { tenant_id: last.tenant_id, key: last.key } : this.#cursor, done };
  }
}
