import { join } from 'node:path';
import { parseSegmentFileName } from './commit-log-format.js';
import { type FileSystem, errnoCode } from './file-system.js';
import { type ManifestState, allTables, parseManifestFileName } from './manifest-format.js';

/**
 * Startup step 4 (storage-engine.md §5): which files in a data dir are crash leftovers. Lists only; the caller
 * deletes them (after the tables opened, so a refusal to start deletes nothing).
 */

export interface OrphanReport {
  /** Paths relative to data_dir, e.g. `CURRENT.tmp`, `sst/00000000000000000007.sst`, `commitlog/commitlog-….log`. */
  readonly orphans: string[];
  /** Highest `<20 digits>` number of any manifest, table or segment on disk (orphans included), 0 if none. */
  readonly maxFileNumber: number;
}

/**
 * Whether the manifest lost a committed flush EDIT (a bad tail record that was in fact durable): segments below
 * log_start are unlinked only after the EDIT raising log_start is durable, and that EDIT names a segment that
 * already exists — so after a genuinely torn (uncommitted) EDIT, segment `logStart` is still on disk. Missing it
 * while a later segment exists means a committed EDIT (and the flushed data its trimmed segments held) is gone:
 * the caller refuses to start rather than silently serve older data. Returns the problem, or undefined.
 */
export function lostLogStartProblem(logStart: number, segments: readonly number[]): string | undefined {
  if (logStart <= 0 || segments.includes(logStart)) return undefined;
  const later = segments.filter((n) => n > logStart);
  if (later.length === 0) return undefined;
  return `log_start is segment ${logStart} but it is gone while segment ${Math.min(...later)} exists: a committed manifest edit was lost (bad last record?)`;
}

/** Commit-log segment numbers present in `<dataDir>/commitlog` (none when the directory is missing). */
export async function segmentNumbers(fs: FileSystem, dataDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.readdir(join(dataDir, 'commitlog'));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  return names.map(parseSegmentFileName).filter((n): n is number => n !== undefined);
}

const SST_NAME = /^(\d{20})\.sst$/;
const NUMBERED_TMP = /^(?:MANIFEST-)?(?:commitlog-)?(\d{20})(?:\.sst|\.log)?\.tmp$/;

/**
 * Orphans: `*.tmp` in data_dir, sst/ and commitlog/; `.sst` files not in the table set; segments below
 * log_start; manifests other than `liveManifest`. LOCK, CURRENT, quarantine/, snapshots/ and unknown names are
 * never listed (an operator's file is not ours to delete).
 */
export async function findOrphans(dataDir: string, fs: FileSystem, state: ManifestState, liveManifest: number): Promise<OrphanReport> {
  const orphans: string[] = [];
  let maxFileNumber = 0;
  const seen = (n: number): void => {
    if (n > maxFileNumber) maxFileNumber = n;
  };
  const live = new Set(allTables(state).map((t) => t.file));
  const tmpNumber = (name: string): void => {
    const m = NUMBERED_TMP.exec(name);
    if (m) seen(Number(m[1]));
  };

  for (const name of await fs.readdir(dataDir)) {
    if (name.endsWith('.tmp')) {
      orphans.push(name);
      tmpNumber(name);
      continue;
    }
    const n = parseManifestFileName(name);
    if (n === undefined) continue;
    seen(n);
    if (n !== liveManifest) orphans.push(name);
  }
  for (const name of await listDir(fs, join(dataDir, 'sst'))) {
    if (name.endsWith('.tmp')) {
      orphans.push(`sst/${name}`);
      tmpNumber(name);
      continue;
    }
    const m = SST_NAME.exec(name);
    if (!m) continue;
    const n = Number(m[1]);
    seen(n);
    if (!live.has(n)) orphans.push(`sst/${name}`);
  }
  for (const name of await listDir(fs, join(dataDir, 'commitlog'))) {
    if (name.endsWith('.tmp')) {
      orphans.push(`commitlog/${name}`);
      tmpNumber(name);
      continue;
    }
    const n = parseSegmentFileName(name);
    if (n === undefined) continue;
    seen(n);
    if (n < state.logStart) orphans.push(`commitlog/${name}`);
  }
  orphans.sort();
  return { orphans, maxFileNumber };
}

async function listDir(fs: FileSystem, path: string): Promise<string[]> {
  try {
    return await fs.readdir(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}
