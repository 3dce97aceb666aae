import { crc32 } from 'node:zlib';
import { CorruptionError } from '../model/version-codec.js';
import { HEADER_SIZE, RECORD_HEADER_SIZE, readU64, sealRecord, writeU64 } from './commit-log-format.js';

/**
 * Manifest format v1 (storage-engine.md §5, §13), pure: header, record payloads (JSON), and the rules that fold a
 * SNAPSHOT and its EDITs into a table set. The file layout is described at the top of manifest.ts.
 *
 * In memory the fields are camelCase; on disk they are the spec's snake_case JSON, written in the spec's member
 * order so equal states give byte-identical records.
 */

export const MANIFEST_MAGIC = Buffer.from('pairDBmf', 'latin1');
export const MANIFEST_FORMAT_VERSION = 1;
export const RECORD_SNAPSHOT = 0x01;
export const RECORD_EDIT = 0x02;
/** L0 … L6 (§6). */
export const MAX_LEVEL = 6;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export const EDIT_REASONS = ['flush', 'compaction', 'move', 'quarantine', 'fence'] as const;
export type EditReason = (typeof EDIT_REASONS)[number];

export interface TableMeta {
  readonly file: number;
  readonly level: number;
  readonly size: number;
  /** Lowercase hex of the smallest ckey. */
  readonly minKey: string;
  readonly maxKey: string;
  readonly keys: number;
  readonly tombstones: number;
  readonly oldestTombstoneTs: number | null;
}

export interface TableRef {
  readonly file: number;
  readonly level: number;
}

/** One EDIT (§5). `nextFile` is filled in by Manifest.commit from its allocator when omitted. */
export interface ManifestEdit {
  readonly reason: EditReason;
  readonly remove?: readonly TableRef[];
  readonly add?: readonly TableMeta[];
  readonly logStart?: number;
  readonly nextFile?: number;
  /** Only with reason `fence` (§13). */
  readonly fenceEpoch?: number;
}

/**
 * The table set and counters a manifest describes. Immutable: every commit builds a new one, so a reader may pin
 * the object it got (§5 deletion order, §6 concurrency).
 */
export interface ManifestState {
  /** level → tables; L0 newest first (descending file number), L1+ by min_key. Empty levels are absent. */
  readonly tables: ReadonlyMap<number, readonly TableMeta[]>;
  /** Commit-log segments below this number are flushed: never replayed, deletable. */
  readonly logStart: number;
  /** The next unused file number (segments, tables and manifests share it). */
  readonly nextFile: number;
  /** Highest topology fence epoch seen (§13); 0 = none. */
  readonly fenceEpoch: number;
}

export const EMPTY_STATE: ManifestState = Object.freeze({ tables: new Map(), logStart: 0, nextFile: 1, fenceEpoch: 0 });

const NAME = /^MANIFEST-(\d{20})$/;

export function manifestFileName(n: number): string {
  return `MANIFEST-${String(n).padStart(20, '0')}`;
}

export function parseManifestFileName(name: string): number | undefined {
  const m = NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** CURRENT's exact content for manifest `n`. */
export function currentFileContent(n: number): string {
  return `${manifestFileName(n)}\n`;
}

/** The manifest number CURRENT names, or undefined when its content is not exactly `MANIFEST-<20 digits>\n`. */
export function parseCurrentFile(content: Buffer): number | undefined {
  const s = content.toString('latin1');
  if (!s.endsWith('\n')) return undefined;
  return parseManifestFileName(s.slice(0, -1));
}

export function encodeManifestHeader(n: number): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE);
  MANIFEST_MAGIC.copy(buf, 0);
  buf.writeUInt32LE(MANIFEST_FORMAT_VERSION, 8);
  writeU64(buf, 12, n);
  buf.writeUInt32LE(crc32(buf.subarray(0, 20)), 20);
  return buf;
}

/** Why a manifest header is unusable, or undefined when it is valid for manifest `n`. */
export function checkManifestHeader(buf: Buffer, n: number): string | undefined {
  if (buf.length < HEADER_SIZE) return 'short header';
  if (!buf.subarray(0, 8).equals(MANIFEST_MAGIC)) return 'bad magic';
  if (buf.readUInt32LE(20) !== crc32(buf.subarray(0, 20))) return 'header crc mismatch';
  if (buf.readUInt32LE(8) !== MANIFEST_FORMAT_VERSION) return `unsupported format version ${buf.readUInt32LE(8)}`;
  let fileNo: number;
  try {
    fileNo = readU64(buf, 12);
  } catch {
    return 'file number out of range';
  }
  return fileNo === n ? undefined : `header names manifest ${fileNo}`;
}

/** A framed record (commit-log framing, §2) of `type` holding `json`. */
export function encodeManifestRecord(type: number, json: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(json), 'utf8');
  const buf = Buffer.allocUnsafe(RECORD_HEADER_SIZE + payload.length);
  payload.copy(buf, RECORD_HEADER_SIZE);
  sealRecord(buf, 0, type, payload.length);
  return buf;
}

// ---- JSON shapes ------------------------------------------------------------------------------------------------

export function tableMetaToJson(t: TableMeta): Record<string, unknown> {
  return {
    file: t.file,
    level: t.level,
    size: t.size,
    min_key: t.minKey,
    max_key: t.maxKey,
    keys: t.keys,
    tombstones: t.tombstones,
    oldest_tombstone_ts: t.oldestTombstoneTs,
  };
}

export function snapshotToJson(s: ManifestState): Record<string, unknown> {
  const tables: Record<string, unknown>[] = [];
  for (const level of [...s.tables.keys()].sort((a, b) => a - b)) {
    for (const t of s.tables.get(level)!) tables.push(tableMetaToJson(t));
  }
  return { next_file: s.nextFile, log_start: s.logStart, tables, fence_epoch: s.fenceEpoch };
}

export function editToJson(e: ManifestEdit): Record<string, unknown> {
  const out: Record<string, unknown> = {
    reason: e.reason,
    remove: (e.remove ?? []).map((r) => ({ file: r.file, level: r.level })),
    add: (e.add ?? []).map(tableMetaToJson),
  };
  if (e.logStart !== undefined) out.log_start = e.logStart;
  if (e.nextFile !== undefined) out.next_file = e.nextFile;
  if (e.fenceEpoch !== undefined) out.fence_epoch = e.fenceEpoch;
  return out;
}

function parseJson(payload: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new CorruptionError('record payload is not UTF-8 JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CorruptionError('record payload is not a JSON object');
  return v as Record<string, unknown>;
}

function uint(v: unknown, what: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_SAFE) throw new CorruptionError(`bad ${what}`);
  return v;
}

function optUint(v: unknown, what: string): number | undefined {
  return v === undefined ? undefined : uint(v, what);
}

const HEX = /^(?:[0-9a-f]{2})*$/;

function hex(v: unknown, what: string): string {
  if (typeof v !== 'string' || !HEX.test(v)) throw new CorruptionError(`bad ${what}`);
  return v;
}

function list(v: unknown, what: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new CorruptionError(`bad ${what}`);
  return v;
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CorruptionError(`bad ${what}`);
  return v as Record<string, unknown>;
}

/** Decodes a TableMeta JSON object; unknown members are ignored (forward compatibility within format v1). */
export function tableMetaFromJson(v: unknown): TableMeta {
  const o = obj(v, 'table');
  const t: TableMeta = {
    file: uint(o.file, 'table file', 1),
    level: uint(o.level, 'table level'),
    size: uint(o.size, 'table size'),
    minKey: hex(o.min_key, 'table min_key'),
    maxKey: hex(o.max_key, 'table max_key'),
    keys: uint(o.keys, 'table keys'),
    tombstones: uint(o.tombstones, 'table tombstones'),
    oldestTombstoneTs: o.oldest_tombstone_ts === null ? null : uint(o.oldest_tombstone_ts, 'table oldest_tombstone_ts'),
  };
  checkTableMeta(t, (m) => new CorruptionError(m));
  return t;
}

/** The rules a TableMeta obeys whichever way it arrives; `fail` makes the error (corruption vs caller bug). */
export function checkTableMeta(t: TableMeta, fail: (message: string) => Error): void {
  const ints = [t.file, t.level, t.size, t.keys, t.tombstones];
  if (ints.some((n) => !Number.isInteger(n) || n < 0 || n > MAX_SAFE) || t.file < 1) throw fail(`table ${t.file}: bad number`);
  if (t.level > MAX_LEVEL) throw fail(`table ${t.file}: level ${t.level} above L${MAX_LEVEL}`);
  if (!HEX.test(t.minKey) || !HEX.test(t.maxKey)) throw fail(`table ${t.file}: key bounds are not lowercase hex`);
  // Lowercase hex of equal-prefix bytes compares like the bytes themselves.
  if (t.minKey > t.maxKey) throw fail(`table ${t.file}: min_key above max_key`);
  if (t.oldestTombstoneTs !== null && (!Number.isInteger(t.oldestTombstoneTs) || t.oldestTombstoneTs < 0)) {
    throw fail(`table ${t.file}: bad oldest_tombstone_ts`);
  }
}

export function decodeSnapshot(payload: Buffer): ManifestState {
  const o = parseJson(payload);
  const nextFile = uint(o.next_file, 'next_file', 1);
  const logStart = uint(o.log_start, 'log_start');
  const fenceEpoch = optUint(o.fence_epoch, 'fence_epoch') ?? 0;
  const add = list(o.tables, 'tables').map(tableMetaFromJson);
  const fail = (m: string): Error => new CorruptionError(m);
  const tables = applyTableChanges(new Map(), [], add, fail);
  for (const t of add) if (t.file >= nextFile) throw fail(`table ${t.file} not below next_file ${nextFile}`);
  return Object.freeze({ tables, logStart, nextFile, fenceEpoch });
}

export function decodeEdit(payload: Buffer): ManifestEdit {
  const o = parseJson(payload);
  if (!(EDIT_REASONS as readonly unknown[]).includes(o.reason)) throw new CorruptionError('bad edit reason');
  const remove = list(o.remove, 'remove').map((r) => {
    const ro = obj(r, 'removed table');
    return { file: uint(ro.file, 'removed file', 1), level: uint(ro.level, 'removed level') };
  });
  return {
    reason: o.reason as EditReason,
    remove,
    add: list(o.add, 'add').map(tableMetaFromJson),
    logStart: optUint(o.log_start, 'log_start'),
    nextFile: optUint(o.next_file, 'next_file'),
    fenceEpoch: optUint(o.fence_epoch, 'fence_epoch'),
  };
}

function sortLevel(level: number, tables: TableMeta[]): TableMeta[] {
  if (level === 0) return tables.sort((a, b) => b.file - a.file);
  return tables.sort((a, b) => (a.minKey < b.minKey ? -1 : a.minKey > b.minKey ? 1 : a.file - b.file));
}

function applyTableChanges(
  tables: ReadonlyMap<number, readonly TableMeta[]>,
  remove: readonly TableRef[],
  add: readonly TableMeta[],
  fail: (message: string) => Error,
): Map<number, readonly TableMeta[]> {
  const byLevel = new Map<number, TableMeta[]>();
  for (const [level, ts] of tables) byLevel.set(level, [...ts]);
  for (const r of remove) {
    const ts = byLevel.get(r.level);
    const i = ts ? ts.findIndex((t) => t.file === r.file) : -1;
    if (!ts || i < 0) throw fail(`removes table ${r.file} at L${r.level}, which is not in the table set`);
    ts.splice(i, 1);
  }
  const present = new Set<number>();
  for (const ts of byLevel.values()) for (const t of ts) present.add(t.file);
  for (const t of add) {
    checkTableMeta(t, fail);
    if (present.has(t.file)) throw fail(`adds table ${t.file}, which is already in the table set`);
    present.add(t.file);
    const ts = byLevel.get(t.level) ?? [];
    ts.push(Object.freeze({ ...t }));
    byLevel.set(t.level, ts);
  }
  const out = new Map<number, readonly TableMeta[]>();
  for (const level of [...byLevel.keys()].sort((a, b) => a - b)) {
    const ts = byLevel.get(level)!;
    if (ts.length > 0) out.set(level, Object.freeze(sortLevel(level, ts)));
  }
  return out;
}

/**
 * The state after `edit`: removals, then additions; `log_start`, `next_file` and `fence_epoch` never go back
 * (a smaller value is refused, as the writer never produces one). Every added table must have a number below the
 * resulting next_file (numbers are allocated from it). `fail` builds the error: CorruptionError during replay,
 * a caller error during commit.
 */
export function applyEdit(state: ManifestState, edit: ManifestEdit, fail: (message: string) => Error): ManifestState {
  const grow = (cur: number, v: number | undefined, what: string): number => {
    if (v === undefined) return cur;
    if (!Number.isInteger(v) || v < cur || v > MAX_SAFE) throw fail(`${what} ${v} below the current ${cur}`);
    return v;
  };
  if (edit.fenceEpoch !== undefined && edit.reason !== 'fence') throw fail('fence_epoch in an edit whose reason is not fence');
  const tables = applyTableChanges(state.tables, edit.remove ?? [], edit.add ?? [], fail);
  const nextFile = grow(state.nextFile, edit.nextFile, 'next_file');
  for (const t of edit.add ?? []) if (t.file >= nextFile) throw fail(`table ${t.file} not below next_file ${nextFile}`);
  return Object.freeze({
    tables,
    logStart: grow(state.logStart, edit.logStart, 'log_start'),
    nextFile,
    fenceEpoch: grow(state.fenceEpoch, edit.fenceEpoch, 'fence_epoch'),
  });
}

/** Every table of the set, in level order. */
export function allTables(state: ManifestState): TableMeta[] {
  const out: TableMeta[] = [];
  for (const level of [...state.tables.keys()].sort((a, b) => a - b)) out.push(...state.tables.get(level)!);
  return out;
}
