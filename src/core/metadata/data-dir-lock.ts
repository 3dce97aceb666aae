import { constants, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { PairdbError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

/**
 * `<dir>/LOCK` (cli-and-ops.md §3): created with O_EXCL and holding the owner's pid, so a second daemon on the
 * same directory refuses to start. A lock whose pid is dead (the previous owner crashed) is taken over with a
 * warning; a live pid → DATA_DIR_LOCKED (exit 4).
 */
export interface LockOptions {
  readonly pid?: number;
  /** Whether a pid names a running process (injected for tests). */
  readonly isAlive?: (pid: number) => boolean;
  readonly logger?: Logger;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DataDirLock {
  readonly path: string;
  readonly #pid: number;
  #held = false;

  private constructor(path: string, pid: number) {
    this.path = path;
    this.#pid = pid;
  }

  /** Takes `<dir>/LOCK` (creating `dir`). */
  static async acquire(dir: string, opts: LockOptions = {}): Promise<DataDirLock> {
    const pid = opts.pid ?? process.pid;
    const isAlive = opts.isAlive ?? processAlive;
    await fs.mkdir(dir, { recursive: true });
    const lock = new DataDirLock(join(dir, 'LOCK'), pid);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await fs.open(lock.path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
        try {
          await fh.writeFile(`${pid}\n`);
          await fh.sync();
        } finally {
          await fh.close();
        }
        lock.#held = true;
        return lock;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const text = await fs.readFile(lock.path, 'utf8').catch(() => '');
      const owner = Number.parseInt(text.trim(), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new PairdbError('DATA_DIR_LOCKED', `${dir} is locked by a running process (pid ${owner})`, {
          hint: 'stop the other coordinator or use another --data-dir',
        });
      }
      opts.logger?.warn({ lock: lock.path, previous_pid: Number.isInteger(owner) ? owner : null }, 'taking over a stale LOCK');
      await fs.unlink(lock.path).catch(() => undefined);
    }
    throw new PairdbError('DATA_DIR_LOCKED', `cannot take ${lock.path}`);
  }

  get held(): boolean {
    return this.#held;
  }

  /** Removes the LOCK file if it still holds our pid. */
  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    const text = await fs.readFile(this.path, 'utf8').catch(() => '');
    if (Number.parseInt(text.trim(), 10) === this.#pid) await fs.unlink(this.path).catch(() => undefined);
  }
}
