import { hash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { PairdbError } from '../errors.js';
import { bloomFpRate } from './bloom.js';
import { versionJson } from './commit-log-dump.js';
import { HEADER_SIZE, RECORD_HEADER_SIZE, readRecordAt } from './commit-log-format.js';
import {
  type ManifestState,
  RECORD_EDIT,
  RECORD_SNAPSHOT,
  applyEdit,
  checkManifestHeader,
  decodeEdit,
  decodeSnapshot,
  manifestFileName,
  parseCurrentFile,
} from './manifest-format.js';
import { type FileSystem, errnoCode, readWholeFile } from './file-system.js';
import {
  BLOCK_BLOOM,
  BLOCK_DATA,
  BLOCK_INDEX,
  BLOCK_PROPERTIES,
  type BlockKind,
  DataBlock,
  FOOTER_SIZE,
  IndexBlock,
  type TableProperties,
  decodeBloomPayload,
  decodeFooter,
  decodePropertiesPayload,
  footerChecks,
  openBlock,
  parseSstFileName,
  readFooterFields,
} from './sstable-format.js';
import type { SSTableScanEntry } from './sstable-reader.js';

/**
 * The offline SSTable tools' pure parts (storage-engine.md §10): dump lines, inspect reports, and finding the
 * table files below a directory. The command (src/commands/sstable.ts) reads files and prints.
 */

export type ToolLine = Record<string, unknown>;

/** A ckey's tenant and key (split at the first NUL; a ckey without one shows as an empty tenant). */
export function splitCkey(ckey: Buffer): { tenant: string; key: string } {
  const nul = ckey.indexOf(0);
  if (nul < 0) return { tenant: '', key: ckey.toString('utf8') };
  return { tenant: ckey.toString('utf8', 0, nul), key: ckey.toString('utf8', nul + 1) };
}

/** Ring position (cluster.md): first 8 bytes of SHA-256(`tenant:key`), as 16 hex digits. */
export function ringHex(tenant: string, key: string): string {
  return hash('sha256', `${tenant}:${key}`, 'buffer').subarray(0, 8).toString('hex');
}

/** `{"t":"entry",…}` of `sstable dump`; `keysOnly` (-e) leaves out `versions`. */
export function dumpEntryLine(e: SSTableScanEntry, keysOnly: boolean): ToolLine {
  const { tenant, key } = splitCkey(e.ckey);
  const line: ToolLine = { t: 'entry', block: e.block, offset: e.offset, tenant, key, ckey_hex: e.ckey.toString('hex'), ring: ringHex(tenant, key) };
  if (!keysOnly) line.versions = e.versions.map(versionJson);
  return line;
}

export interface InspectReport {
  file: string;
  size: number;
  format_version: number | null;
  magic_ok: boolean;
  footer_crc_ok: boolean;
  footer: {
    index_offset: number;
    index_length: number;
    bloom_offset: number;
    bloom_length: number;
    props_offset: number;
    props_length: number;
    data_blocks: number;
    file_crc: number;
  } | null;
  properties: TableProperties | null;
  index: {
    blocks: number;
    min_block_bytes: number;
    max_block_bytes: number;
    avg_block_bytes: number;
    first_key_hex: string | null;
    last_key_hex: string | null;
  } | null;
  bloom: { m_bits: number; k: number; n_keys: number; bits_per_key: number; fill_ratio: number; est_fp_rate: number } | null;
  manifest_level: number | null;
}

/**
 * `sstable inspect FILE`: what can be read of the file, section by section; a section that cannot be read is null
 * and its problem listed in `problems` (the command prints the report, then exits 7 if there are any).
 * `manifestLevel` is looked up by the caller (null when the file is not in a data dir's manifest).
 */
export async function inspectSSTable(
  fs: FileSystem,
  path: string,
  manifestLevel: number | null = null,
): Promise<{ report: InspectReport; problems: string[] }> {
  let file: Buffer;
  try {
    file = await readWholeFile(fs, path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new PairdbError('FILE_NOT_FOUND', `no such file: ${path}`);
    throw err;
  }
  const problems: string[] = [];
  const report: InspectReport = {
    file: path,
    size: file.length,
    format_version: null,
    magic_ok: false,
    footer_crc_ok: false,
    footer: null,
    properties: null,
    index: null,
    bloom: null,
    manifest_level: manifestLevel,
  };
  if (file.length < FOOTER_SIZE) {
    problems.push(`file of ${file.length} bytes is shorter than the 64-byte footer`);
    return { report, problems };
  }
  const footerBuf = file.subarray(file.length - FOOTER_SIZE);
  const checks = footerChecks(footerBuf);
  report.magic_ok = checks.magicOk;
  report.footer_crc_ok = checks.crcOk;
  const raw = readFooterFields(footerBuf);
  report.format_version = raw.formatVersion;
  report.footer = {
    index_offset: raw.indexOffset,
    index_length: raw.indexLength,
    bloom_offset: raw.bloomOffset,
    bloom_length: raw.bloomLength,
    props_offset: raw.propsOffset,
    props_length: raw.propsLength,
    data_blocks: raw.dataBlocks,
    file_crc: raw.fileCrc,
  };
  let footer;
  try {
    footer = decodeFooter(footerBuf, file.length);
  } catch (err) {
    problems.push(`footer: ${(err as Error).message}`);
    return { report, problems };
  }
  const section = <T>(name: string, offset: number, length: number, kind: BlockKind, fn: (p: Buffer) => T): T | undefined => {
    try {
      return fn(openBlock(file.subarray(offset, offset + length), kind));
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
      return undefined;
    }
  };
  report.properties = section('properties', footer.propsOffset, footer.propsLength, BLOCK_PROPERTIES, (p) => JSON.parse(p.toString('utf8')) as TableProperties) ?? null;
  if (report.properties) {
    try {
      decodePropertiesPayload(file.subarray(footer.propsOffset, footer.propsOffset + footer.propsLength - 5));
    } catch (err) {
      problems.push(`properties: ${(err as Error).message}`);
    }
  }
  const index = section('index', footer.indexOffset, footer.indexLength, BLOCK_INDEX, (p) => IndexBlock.parse(p, footer.indexOffset));
  if (index) {
    let min = Infinity;
    let max = 0;
    let sum = 0;
    for (let b = 0; b < index.count; b++) {
      const len = index.lengths[b]!;
      min = Math.min(min, len);
      max = Math.max(max, len);
      sum += len;
    }
    const first = section('data block 0', index.offsets[0]!, index.lengths[0]!, BLOCK_DATA, (p) => DataBlock.parse(p).keyAt(0).toString('hex'));
    report.index = {
      blocks: index.count,
      min_block_bytes: index.count ? min : 0,
      max_block_bytes: max,
      avg_block_bytes: index.count ? Math.round(sum / index.count) : 0,
      first_key_hex: first ?? null,
      last_key_hex: index.count ? index.lastKey(index.count - 1).toString('hex') : null,
    };
  }
  const bloom = section('bloom', footer.bloomOffset, footer.bloomLength, BLOCK_BLOOM, decodeBloomPayload);
  if (bloom) {
    report.bloom = {
      m_bits: bloom.mBits,
      k: bloom.k,
      n_keys: bloom.nKeys,
      bits_per_key: bloom.nKeys ? round(bloom.mBits / bloom.nKeys, 4) : 0,
      fill_ratio: round(bloom.fillRatio(), 6),
      est_fp_rate: round(bloomFpRate(bloom.k, bloom.nKeys, bloom.mBits), 8),
    };
  }
  return { report, problems };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Every `*.sst` below `dir` (recursively, sorted by path); the `quarantine/` and `snapshots/` trees included. */
export async function findTables(fs: FileSystem, dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const names = (await fs.readdir(d)).sort();
    for (const name of names) {
      const p = join(d, name);
      const st = await fs.stat(p).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory) await walk(p);
      else if (st.isFile && name.endsWith('.sst')) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

/** Whether `path` is a directory; FILE_NOT_FOUND when it does not exist. */
export async function isDirectory(fs: FileSystem, path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isDirectory;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new PairdbError('FILE_NOT_FOUND', `no such file or directory: ${path}`);
    throw err;
  }
}

/** §6 level targets: L1 256 MiB, ×10 per level, L6 unbounded (null); L0 is scored by file count. */
export function levelTarget(level: number): number | null {
  if (level <= 0 || level >= 6) return null;
  return 256 * 1024 * 1024 * 10 ** (level - 1);
}

export interface LevelSummary {
  level: number;
  tables: number;
  bytes: number;
  target_bytes: number | null;
  score: number;
  min_key_hex: string | null;
  max_key_hex: string | null;
}

/**
 * Per-level summary of tables for `inspect DIR` (levels from the manifest, or from each table's write-time level when
 * the dir has none); score(L0) = tables / 4, score(Ln) = bytes / target (§6).
 */
export function summarizeLevels(tables: { level: number; size: number; minKey: string; maxKey: string }[]): LevelSummary[] {
  const byLevel = new Map<number, LevelSummary>();
  for (const t of tables) {
    let s = byLevel.get(t.level);
    if (!s) {
      s = { level: t.level, tables: 0, bytes: 0, target_bytes: levelTarget(t.level), score: 0, min_key_hex: null, max_key_hex: null };
      byLevel.set(t.level, s);
    }
    s.tables++;
    s.bytes += t.size;
    if (s.min_key_hex === null || t.minKey < s.min_key_hex) s.min_key_hex = t.minKey;
    if (s.max_key_hex === null || t.maxKey > s.max_key_hex) s.max_key_hex = t.maxKey;
  }
  for (const s of byLevel.values()) s.score = round(s.level === 0 ? s.tables / 4 : s.target_bytes ? s.bytes / s.target_bytes : 0, 4);
  return [...byLevel.values()].sort((a, b) => a.level - b.level);
}

/** The data dir a table path belongs to (`<dir>/sst/<n>.sst` → `<dir>`), or undefined. */
export function dataDirOf(path: string): string | undefined {
  if (parseSstFileName(basename(path)) === undefined) return undefined;
  const parent = dirname(path);
  return basename(parent) === 'sst' ? dirname(parent) : undefined;
}

/** A data dir's committed table set, read without LOCK and without changing anything (tools only). */
export interface ManifestView {
  readonly file: string;
  readonly state: ManifestState;
  /** Why replay stopped early (a torn or corrupt record), if it did. */
  readonly problem: { offset: number; what: string } | undefined;
}

/**
 * Reads CURRENT and replays its manifest read-only (§5). Undefined when `dataDir` has no CURRENT (not a data dir).
 * Replay stops at the first bad record: a torn tail is an uncommitted edit, so the state up to it is what a start
 * would see; the record is reported in `problem` with `torn` true when nothing valid follows it.
 * Throws CORRUPT_FILE when CURRENT, the header or the SNAPSHOT cannot be read.
 */
export async function readManifestView(fs: FileSystem, dataDir: string): Promise<(ManifestView & { torn: boolean }) | undefined> {
  let current: Buffer;
  try {
    current = await readWholeFile(fs, join(dataDir, 'CURRENT'));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
  const n = parseCurrentFile(current);
  if (n === undefined) throw new PairdbError('CORRUPT_FILE', `${join(dataDir, 'CURRENT')}: not "MANIFEST-<20 digits>\\n"`);
  const file = join(dataDir, manifestFileName(n));
  let buf: Buffer;
  try {
    buf = await readWholeFile(fs, file);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new PairdbError('CORRUPT_FILE', `${file}: named by CURRENT but missing`);
    throw err;
  }
  const bad = checkManifestHeader(buf, n);
  if (bad) throw new PairdbError('CORRUPT_FILE', `manifest corruption: ${file} offset 0 (${bad})`);
  let state: ManifestState | undefined;
  let off = HEADER_SIZE;
  let problem: { offset: number; what: string } | undefined;
  while (off < buf.length) {
    const rec = readRecordAt(buf, off);
    if (!rec) {
      problem = { offset: off, what: 'bad record' };
      break;
    }
    const payload = buf.subarray(off + RECORD_HEADER_SIZE, rec.end);
    try {
      if (state === undefined) {
        if (rec.type !== RECORD_SNAPSHOT) throw new Error('first record is not a SNAPSHOT');
        state = decodeSnapshot(payload);
      } else {
        if (rec.type !== RECORD_EDIT) throw new Error('SNAPSHOT after the first record');
        state = applyEdit(state, decodeEdit(payload), (m) => new Error(m));
      }
    } catch (err) {
      throw new PairdbError('CORRUPT_FILE', `manifest corruption: ${file} offset ${off} (${(err as Error).message})`);
    }
    off = rec.end;
  }
  if (state === undefined) throw new PairdbError('CORRUPT_FILE', `manifest corruption: ${file} offset ${HEADER_SIZE} (no SNAPSHOT)`);
  let torn = true;
  if (problem) {
    for (let at = problem.offset + 1; at + RECORD_HEADER_SIZE <= buf.length; at++) {
      if (readRecordAt(buf, at)) {
        torn = false;
        break;
      }
    }
  }
  return { file, state, problem, torn };
}

/** The level `fileNumber` has in `state`, or null. */
export function levelInManifest(state: ManifestState, fileNumber: number): number | null {
  for (const [level, tables] of state.tables) if (tables.some((t) => t.file === fileNumber)) return level;
  return null;
}
