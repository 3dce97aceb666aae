import { basename, join } from 'node:path';
import { PairdbError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { DataDirLock, isPidAlive as defaultIsPidAlive } from './data-dir-lock.js';
import { type FileSystem, errnoCode, readWholeFile, writeFully } from './file-system.js';
import {
  RECORD_SNAPSHOT,
  type ManifestState,
  type TableMeta,
  allTables,
  currentFileContent,
  encodeManifestHeader,
  encodeManifestRecord,
  manifestFileName,
  parseManifestFileName,
  snapshotToJson,
} from './manifest-format.js';
import { verifySSTable } from './sstable-reader.js';
import { sstFileName } from './sstable-format.js';
import { readManifestView } from './sstable-tools.js';

/**
 * Node snapshots and their offline restore (cli-and-ops.md §2.6, rpc.md §6 Snapshot, storage-engine.md §0 layout).
 *
 * A snapshot `snapshots/<name>/` is laid out like a data directory, so `restore` installs it as one and the offline
 * tools (`sstable inspect|verify`) read it as one:
 *
 *   snapshots/<name>/CURRENT              "MANIFEST-<n>\n"
 *   snapshots/<name>/MANIFEST-<n>         header + one SNAPSHOT record naming exactly the tables below
 *                                         (log_start = next_file = n + 1: nothing to replay)
 *   snapshots/<name>/sst/<20 digits>.sst  hard links of the live tables (same inode: no copy, and the snapshot
 *                                         stays intact when compaction later unlinks the data dir's name)
 *   snapshots/<name>/snapshot.json        {"name","created_ms","sstables","bytes"} for `snapshot --list`
 *
 * A snapshot is built in `snapshots/<name>~tmp/` and renamed into place once complete and fsynced, so a crash never
 * leaves a half snapshot under a valid name ('~' is outside the name alphabet). The engine's startup never touches
 * snapshots/ (they are "never orphans", §0); this module removes its own `~` leftovers.
 */

export const SNAPSHOTS_DIR = 'snapshots';
const INFO_FILE = 'snapshot.json';
const NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;

export interface SnapshotInfo {
  readonly name: string;
  /** Unix ms when the snapshot was taken (0 when its snapshot.json is missing). */
  readonly createdMs: number;
  readonly sstables: number;
  readonly bytes: number;
}

/** What a snapshot of the live tables holds. */
export interface SnapshotContent {
  readonly sstables: number;
  readonly bytes: number;
}

/** 1..128 chars of [A-Za-z0-9._-]; "." and ".." match that alphabet but name directories that are not ours. */
export function checkSnapshotName(name: string): void {
  if (!NAME_RE.test(name) || name === '.' || name === '..') {
    throw new PairdbError('INVALID_REQUEST', `invalid snapshot name ${JSON.stringify(name)} (1..128 characters of [A-Za-z0-9._-], not "." or "..")`);
  }
}

/** The default name: the UTC time with ':' replaced by '-' (e.g. 2026-01-31T12-00-00.000Z), which sorts by time. */
export function defaultSnapshotName(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/:/g, '-');
}

async function exists(fs: FileSystem, path: string): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

/** Writes a new file (it must not exist) and fsyncs it. */
async function writeFileDurable(fs: FileSystem, path: string, bytes: Buffer): Promise<void> {
  const fd = await fs.open(path, 'wx');
  try {
    await writeFully(fs, fd, bytes, 0, bytes.length, 0);
    await fs.fsync(fd);
  } finally {
    await fs.close(fd);
  }
}

/** Removes a file or a directory tree; a missing path is fine. */
export async function removeTree(fs: FileSystem, path: string): Promise<void> {
  let st;
  try {
    st = await fs.stat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  if (st.isDirectory) {
    for (const name of await fs.readdir(path)) await removeTree(fs, join(path, name));
    await fs.rmdir(path);
  } else {
    await fs.unlink(path);
  }
}

/** A table set as a manifest state, levels ordered as the engine keeps them (L0 newest first, L1+ by min key). */
function stateOf(tables: readonly TableMeta[], nextFile: number, fenceEpoch: number): ManifestState {
  const byLevel = new Map<number, TableMeta[]>();
  for (const t of tables) {
    const lv = byLevel.get(t.level) ?? [];
    lv.push(t);
    byLevel.set(t.level, lv);
  }
  for (const [level, ts] of byLevel) {
    if (level === 0) ts.sort((a, b) => b.file - a.file);
    else ts.sort((a, b) => (a.minKey < b.minKey ? -1 : a.minKey > b.minKey ? 1 : a.file - b.file));
  }
  return { tables: byLevel, logStart: nextFile, nextFile, fenceEpoch };
}

export interface SnapshotFilesInput {
  /** The tables to link, as the live manifest describes them. */
  readonly tables: readonly TableMeta[];
  /** Path of a live table file. */
  readonly sourcePath: (file: number) => string;
  /** The live manifest's next_file (above every table number). */
  readonly nextFile: number;
  readonly fenceEpoch: number;
}

/**
 * Writes a snapshot's data-dir layout into `dir` (which must not hold one yet): hard links of the tables into
 * `dir/sst/`, then MANIFEST-<n> (n = next_file) with one SNAPSHOT record naming exactly them, then CURRENT; every
 * new file and both directories fsynced. The caller keeps the tables from being unlinked meanwhile (pinned).
 * The table files themselves are not fsynced again: a live table was published (fsynced) before any manifest named it.
 */
export async function writeSnapshotFiles(fs: FileSystem, dir: string, input: SnapshotFilesInput): Promise<SnapshotContent> {
  const sst = join(dir, 'sst');
  await fs.mkdir(sst);
  let bytes = 0;
  for (const t of input.tables) {
    await fs.link(input.sourcePath(t.file), join(sst, sstFileName(t.file)));
    bytes += t.size;
  }
  await fs.fsyncDir(sst);
  const n = input.nextFile;
  const state = stateOf(input.tables, n + 1, input.fenceEpoch);
  await writeFileDurable(fs, join(dir, manifestFileName(n)), Buffer.concat([encodeManifestHeader(n), encodeManifestRecord(RECORD_SNAPSHOT, snapshotToJson(state))]));
  await writeFileDurable(fs, join(dir, 'CURRENT'), Buffer.from(currentFileContent(n), 'latin1'));
  await fs.fsyncDir(dir);
  return { sstables: input.tables.length, bytes };
}

/** Reads a snapshot's info: snapshot.json, else (e.g. a hand-copied snapshot without it) its manifest, created 0. */
async function readInfo(fs: FileSystem, dir: string, name: string): Promise<SnapshotInfo> {
  try {
    const o = JSON.parse((await readWholeFile(fs, join(dir, INFO_FILE))).toString('utf8')) as Record<string, unknown>;
    const num = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);
    return { name, createdMs: num(o.created_ms), sstables: num(o.sstables), bytes: num(o.bytes) };
  } catch {
    // Fall through to the manifest.
  }
  const view = await readManifestView(fs, dir).catch(() => undefined);
  const tables = view ? allTables(view.state) : [];
  return { name, createdMs: 0, sstables: tables.length, bytes: tables.reduce((n, t) => n + t.size, 0) };
}

/**
 * The snapshots of one data directory (the storage daemon's Snapshot RPC). Operations run one at a time, so two
 * creates of one name cannot race and a clear never removes a snapshot being written.
 */
export class SnapshotStore {
  readonly #fs: FileSystem;
  readonly #root: string;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(fs: FileSystem, dataDir: string) {
    this.#fs = fs;
    this.#root = join(dataDir, SNAPSHOTS_DIR);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(fn, fn);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  /** Removes `~tmp`/`~del` leftovers of an earlier crash (no operation is running: they run one at a time). */
  async #sweep(): Promise<void> {
    for (const name of await this.#fs.readdir(this.#root)) {
      if (name.endsWith('~tmp') || name.endsWith('~del')) await removeTree(this.#fs, join(this.#root, name));
    }
  }

  /**
   * Creates `snapshots/<name>/`: `take(dir)` writes the layout into a temporary directory (the engine flushes, pins
   * its tables and calls writeSnapshotFiles), then snapshot.json is added and the directory renamed into place.
   * SNAPSHOT_EXISTS if the name is taken; on any failure nothing is left under the name.
   */
  create(name: string, nowMs: number, take: (dir: string) => Promise<SnapshotContent>): Promise<SnapshotInfo> {
    checkSnapshotName(name);
    return this.#serial(async () => {
      const fs = this.#fs;
      await fs.mkdir(this.#root);
      const final = join(this.#root, name);
      if (await exists(fs, final)) throw new PairdbError('SNAPSHOT_EXISTS', `snapshot ${name} already exists`, { hint: 'pick another --name or --clear it first' });
      await this.#sweep();
      const tmp = join(this.#root, `${name}~tmp`);
      try {
        const content = await take(tmp);
        const info: SnapshotInfo = { name, createdMs: nowMs, sstables: content.sstables, bytes: content.bytes };
        const json = { name, created_ms: info.createdMs, sstables: info.sstables, bytes: info.bytes };
        await writeFileDurable(fs, join(tmp, INFO_FILE), Buffer.from(`${JSON.stringify(json)}\n`));
        await fs.fsyncDir(tmp);
        await fs.rename(tmp, final);
        await fs.fsyncDir(this.#root);
        return info;
      } catch (err) {
        await removeTree(fs, tmp).catch(() => undefined);
        throw err instanceof PairdbError ? err : new PairdbError('INTERNAL_ERROR', `snapshot ${name} failed: ${(err as Error).message}`, { cause: err });
      }
    });
  }

  /** Every snapshot, oldest first (then by name). */
  list(): Promise<SnapshotInfo[]> {
    return this.#serial(async () => {
      let names: string[];
      try {
        names = await this.#fs.readdir(this.#root);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') return [];
        throw err;
      }
      const out: SnapshotInfo[] = [];
      for (const name of names) {
        if (!NAME_RE.test(name) || name === '.' || name === '..') continue;
        const dir = join(this.#root, name);
        if (!(await this.#fs.stat(dir)).isDirectory) continue;
        out.push(await readInfo(this.#fs, dir, name));
      }
      return out.sort((a, b) => a.createdMs - b.createdMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  /** Deletes a snapshot (renamed aside first, so it disappears at once) and answers what it held. */
  clear(name: string): Promise<SnapshotInfo> {
    checkSnapshotName(name);
    return this.#serial(async () => {
      const fs = this.#fs;
      const final = join(this.#root, name);
      if (!(await exists(fs, final))) throw new PairdbError('SNAPSHOT_NOT_FOUND', `no snapshot named ${name}`, { hint: 'see `pairdb storage snapshot --list`' });
      const info = await readInfo(fs, final, name);
      await this.#sweep();
      const doomed = join(this.#root, `${name}~del`);
      await fs.rename(final, doomed);
      await fs.fsyncDir(this.#root);
      await removeTree(fs, doomed);
      return info;
    });
  }
}

export interface RestoreOptions {
  readonly fs: FileSystem;
  readonly dataDir: string;
  readonly name: string;
  readonly logger: Logger;
  readonly nowMs: number;
  readonly pid?: number;
  readonly isPidAlive?: (pid: number) => boolean;
}

export interface RestoreResult {
  readonly snapshot: string;
  readonly sstables: number;
  readonly bytes: number;
  /** Where the replaced tables, manifest and commit log went. */
  readonly backupDir: string;
}

/**
 * `pairdb storage restore` (offline): takes LOCK (a running node → DATA_DIR_LOCKED), verifies every table the
 * snapshot's manifest names (full `sstable verify` checks and the size the manifest records; any problem →
 * CORRUPT_FILE and nothing is changed), moves the current sst/, manifests, CURRENT and commit log into
 * `restore-backup-<ts>/`, then links the snapshot's tables into sst/, writes its manifest and publishes CURRENT.
 * The commit log is empty afterwards (its segments are in the backup: nothing is deleted). The snapshot stays usable.
 *
 * A crash midway leaves a directory without CURRENT but with files, which the engine refuses to start on; running
 * restore again finishes the job (what was installed so far goes to a second backup).
 */
export async function restoreSnapshot(opts: RestoreOptions): Promise<RestoreResult> {
  const { fs, dataDir, name } = opts;
  checkSnapshotName(name);
  if (!(await exists(fs, dataDir))) throw new PairdbError('FILE_NOT_FOUND', `no data directory ${dataDir}`);
  const lock = await DataDirLock.acquire({
    fs,
    dataDir,
    logger: opts.logger,
    pid: opts.pid ?? process.pid,
    isPidAlive: opts.isPidAlive ?? defaultIsPidAlive,
  });
  try {
    const snapDir = join(dataDir, SNAPSHOTS_DIR, name);
    if (!(await exists(fs, snapDir))) {
      throw new PairdbError('SNAPSHOT_NOT_FOUND', `no snapshot named ${name} in ${join(dataDir, SNAPSHOTS_DIR)}`);
    }
    // 1. Verify before touching anything.
    const view = await readManifestView(fs, snapDir);
    if (!view) throw new PairdbError('CORRUPT_FILE', `${snapDir}: not a snapshot (no CURRENT)`);
    if (view.problem) throw new PairdbError('CORRUPT_FILE', `${view.file}: offset ${view.problem.offset}: ${view.problem.what}`);
    const tables = allTables(view.state);
    let bytes = 0;
    for (const t of tables) {
      const path = join(snapDir, 'sst', sstFileName(t.file));
      let report;
      try {
        report = await verifySSTable(fs, path);
      } catch (err) {
        if (PairdbError.from(err).code === 'FILE_NOT_FOUND') throw new PairdbError('CORRUPT_FILE', `${path}: named by the snapshot's manifest but missing`);
        throw err;
      }
      if (!report.ok) {
        const p = report.problems[0]!;
        throw new PairdbError('CORRUPT_FILE', `${path}: offset ${p.offset}: ${p.what}${report.problems.length > 1 ? ` (and ${report.problems.length - 1} more problems)` : ''}`);
      }
      const { size } = await fs.stat(path);
      if (size !== t.size) throw new PairdbError('CORRUPT_FILE', `${path}: ${size} bytes, the snapshot's manifest says ${t.size}`);
      bytes += size;
    }
    const manifestBytes = await readWholeFile(fs, view.file);

    // 2. Move the current table set, manifests and commit log aside.
    let backupDir = join(dataDir, `restore-backup-${defaultSnapshotName(opts.nowMs)}`);
    for (let i = 1; await exists(fs, backupDir); i++) backupDir = join(dataDir, `restore-backup-${defaultSnapshotName(opts.nowMs)}-${i}`);
    await fs.mkdir(backupDir);
    const moved: string[] = [];
    for (const entry of await fs.readdir(dataDir)) {
      if (entry === 'sst' || entry === 'commitlog' || entry === 'CURRENT' || entry === 'CURRENT.tmp' || parseManifestFileName(entry) !== undefined) {
        await fs.rename(join(dataDir, entry), join(backupDir, entry));
        moved.push(entry);
      }
    }
    await fs.fsyncDir(backupDir);
    await fs.fsyncDir(dataDir);
    opts.logger.info({ backup: backupDir, moved }, 'moved the current tables, manifest and commit log aside');

    // 3. Install: tables (links, so the snapshot stays whole), then the manifest, then CURRENT last (the commit point).
    const sst = join(dataDir, 'sst');
    await fs.mkdir(sst);
    for (const t of tables) await fs.link(join(snapDir, 'sst', sstFileName(t.file)), join(sst, sstFileName(t.file)));
    await fs.fsyncDir(sst);
    const manifestName = basename(view.file);
    await writeFileDurable(fs, join(dataDir, manifestName), manifestBytes);
    const tmp = join(dataDir, 'CURRENT.tmp');
    await writeFileDurable(fs, tmp, Buffer.from(`${manifestName}\n`, 'latin1'));
    await fs.rename(tmp, join(dataDir, 'CURRENT'));
    await fs.fsyncDir(dataDir);
    opts.logger.info({ snapshot: name, sstables: tables.length, bytes }, 'restored the snapshot');
    return { snapshot: name, sstables: tables.length, bytes, backupDir };
  } finally {
    await lock.release();
  }
}
