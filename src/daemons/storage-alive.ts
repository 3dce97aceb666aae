import { join } from 'node:path';
import { ALIVE_FILE, aliveIntervalMs, formatLastAlive, parseLastAlive } from '../core/cluster/stale-node.js';
import { type FileSystem, errnoCode, readWholeFile, writeFully } from '../core/engine/file-system.js';
import { PairdbError } from '../core/errors.js';
import type { Logger } from '../core/observability/logger.js';

/**
 * `<data-dir>/ALIVE`: when this node was last seen running (cluster.md §2 stale-node rule, stale-node.ts). Read once
 * before the engine opens; rewritten (tmp + rename) while the node runs and once more on a clean stop.
 */
export class AliveMarker {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #log: Logger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;

  constructor(fs: FileSystem, dataDir: string, gcGraceMs: number, log: Logger) {
    this.#fs = fs;
    this.#dir = dataDir;
    this.#log = log;
    this.#intervalMs = aliveIntervalMs(gcGraceMs);
  }

  /** The recorded last-alive time; undefined when there is none (new dir) or it is unreadable (logged). */
  async read(): Promise<number | undefined> {
    let buf: Buffer;
    try {
      buf = await readWholeFile(this.#fs, join(this.#dir, ALIVE_FILE));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw new PairdbError('INTERNAL_ERROR', `cannot read ${join(this.#dir, ALIVE_FILE)}: ${(err as Error).message}`, { cause: err });
    }
    const ms = parseLastAlive(buf.toString('latin1'));
    if (ms === undefined) this.#log.warn({ file: ALIVE_FILE }, 'ignoring an unreadable last-alive file');
    return ms;
  }

  /** Writes now and then every interval until stop(). Call once the data dir is this process's (LOCK held). */
  async start(): Promise<void> {
    await this.#write();
    this.#timer = setInterval(() => {
      this.#writing ??= this.#write()
        .catch((err: unknown) => this.#log.warn({ err }, 'could not record the last-alive time'))
        .finally(() => {
          this.#writing = undefined;
        });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and records the stop time (a clean stop is the node's last alive moment). */
  async stop(): Promise<void> {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    await this.#write().catch((err: unknown) => this.#log.warn({ err }, 'could not record the last-alive time at stop'));
  }

  async #write(): Promise<void> {
    const fs = this.#fs;
    const tmp = join(this.#dir, `${ALIVE_FILE}.tmp`);
    const bytes = Buffer.from(formatLastAlive(Date.now()), 'latin1');
    const fd = await fs.open(tmp, 'w');
    try {
      await writeFully(fs, fd, bytes, 0, bytes.length, 0);
      await fs.fdatasync(fd);
    } finally {
      await fs.close(fd).catch(() => undefined);
    }
    await fs.rename(tmp, join(this.#dir, ALIVE_FILE));
  }
}
