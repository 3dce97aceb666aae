import { join } from 'node:path';
import { PairdbError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { type FileSystem, errnoCode, readWholeFile, writeFully } from './file-system.js';

/**
 * The data directory's LOCK file (cli-and-ops.md §3, storage-engine.md §0): created O_EXCL holding the owner's
 * pid. A live owner → DATA_DIR_LOCKED; a dead owner's lock (or an empty one, torn at creation) is taken over with
 * a warning. A recycled pid of an unrelated live process also refuses: the safe side, as with Cassandra's lock.
 */
export interface LockOptions {
  readonly fs: FileSystem;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly pid: number;
  readonly isPidAlive: (pid: number) => boolean;
}

export const LOCK_FILE = 'LOCK';

/** Whether a process with this pid exists (EPERM means it exists under another user). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

export class DataDirLock {
  readonly #fs: FileSystem;
  readonly path: string;
  #held = true;

  private constructor(fs: FileSystem, path: string) {
    this.#fs = fs;
    this.path = path;
  }

  static async acquire(opts: LockOptions): Promise<DataDirLock> {
    const { fs, dataDir, logger, pid } = opts;
    const path = join(dataDir, LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      let fd: number;
      try {
        fd = await fs.open(path, 'wx');
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
        let owner = Number.NaN;
        try {
          owner = Number.parseInt((await readWholeFile(fs, path)).toString('utf8').trim(), 10);
        } catch (readErr) {
          if (errnoCode(readErr) === 'ENOENT') continue; // released meanwhile
          throw readErr;
        }
        if (Number.isInteger(owner) && owner > 0 && opts.isPidAlive(owner)) {
          throw new PairdbError('DATA_DIR_LOCKED', `data dir ${dataDir} is locked by running process ${owner}`, {
            hint: 'another pairdb storage process uses this --data-dir; stop it or pick another directory',
          });
        }
        logger.warn({ lock: path, owner: Number.isNaN(owner) ? null : owner }, 'taking over the LOCK of a process that is gone');
        await fs.unlink(path).catch((e: unknown) => {
          if (errnoCode(e) !== 'ENOENT') throw e;
        });
        continue;
      }
      try {
        const body = Buffer.from(`${pid}\n`);
        await writeFully(fs, fd, body, 0, body.length, 0);
        await fs.fsync(fd);
      } finally {
        await fs.close(fd);
      }
      await fs.fsyncDir(dataDir);
      return new DataDirLock(fs, path);
    }
    throw new PairdbError('DATA_DIR_LOCKED', `data dir ${dataDir}: could not take the LOCK (contended)`);
  }

  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    await this.#fs.unlink(this.path).catch(() => undefined);
  }
}
