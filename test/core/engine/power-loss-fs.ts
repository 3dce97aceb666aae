import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { FaultFileSystem } from '../../../src/core/engine/fault-file-system.js';
import type { FileStat, FileSystem, OpenFlags } from '../../../src/core/engine/file-system.js';

/**
 * A FileSystem decorator that knows what a power loss would keep (storage-engine.md §11.5's model, strict POSIX):
 * a file's bytes as of its last completed fsync/fdatasync (the content when that call began), and a directory's
 * entries (creations, renames, unlinks) as of its last completed fsyncDir. It follows inodes through renames, so
 * `NAME.tmp` fsynced then renamed to NAME keeps its synced bytes under whichever name the directory made durable.
 * `crashImage()` writes that state (optionally with a random prefix of each file's unsynced tail) into a new
 * directory, synchronously, so nothing the engine does can slip in while it is taken.
 *
 * Everything under `root` (the data dir) is tracked; `root` itself is taken as durable. The inner file system does
 * the real I/O (a FaultFileSystem over node:fs by default, so faults can be injected below this layer too).
 */

interface Inode {
  /** Current path, undefined once unlinked or renamed over. */
  path: string | undefined;
  /** Bytes at the last completed sync (undefined = never synced: a power loss keeps it empty). */
  synced: Buffer | undefined;
}

type Entry = Inode | 'dir';

interface Dir {
  readonly live: Map<string, Entry>;
  durable: Map<string, Entry>;
}

function norm(path: string): string {
  return posix.normalize(path).replace(/\/+$/, '');
}

export class PowerLossFileSystem implements FileSystem {
  readonly inner: FileSystem;
  readonly root: string;
  readonly #dirs = new Map<string, Dir>();
  readonly #fds = new Map<number, Inode>();

  /** Tracks `root` as it is on disk now: every file and directory entry there counts as durable. */
  constructor(root: string, inner: FileSystem = new FaultFileSystem()) {
    this.inner = inner;
    this.root = norm(root);
    this.#dirs.set(this.root, { live: new Map(), durable: new Map() });
    if (existsSync(this.root)) this.#scan(this.root);
  }

  #scan(dir: string): void {
    const d = this.#dirs.get(dir)!;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      let e: Entry;
      if (statSync(p).isDirectory()) {
        e = 'dir';
        this.#dirs.set(p, { live: new Map(), durable: new Map() });
        this.#scan(p);
      } else {
        e = { path: p, synced: readFileSync(p) };
      }
      d.live.set(name, e);
      d.durable.set(name, e);
    }
  }

  #tracked(path: string): boolean {
    return path === this.root || path.startsWith(`${this.root}/`);
  }

  #dirOf(path: string): Dir | undefined {
    return this.#dirs.get(dirname(path));
  }

  #lookup(path: string): Entry | undefined {
    return this.#dirOf(path)?.live.get(basename(path));
  }

  async open(path: string, flags: OpenFlags): Promise<number> {
    const p = norm(path);
    const fd = await this.inner.open(p, flags);
    if (this.#tracked(p)) {
      let e = this.#lookup(p);
      if (e === undefined || e === 'dir') {
        // A new file ('w'/'wx'); an untracked existing one (opened 'r') is adopted as if synced.
        e = { path: p, synced: flags === 'r' || flags === 'r+' ? readFileSync(p) : undefined };
        this.#dirOf(p)?.live.set(basename(p), e);
      }
      this.#fds.set(fd, e);
    }
    return fd;
  }

  async close(fd: number): Promise<void> {
    await this.inner.close(fd);
    this.#fds.delete(fd);
  }

  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.inner.read(fd, buffer, offset, length, position);
  }

  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.inner.write(fd, buffer, offset, length, position);
  }

  async #sync(fd: number, op: (fd: number) => Promise<void>): Promise<void> {
    const inode = this.#fds.get(fd);
    // What the file holds when the sync begins is what it makes durable.
    const snapshot = inode?.path ? readFileSync(inode.path) : undefined;
    await op(fd);
    if (inode && snapshot) inode.synced = snapshot;
  }

  fdatasync(fd: number): Promise<void> {
    return this.#sync(fd, (x) => this.inner.fdatasync(x));
  }

  fsync(fd: number): Promise<void> {
    return this.#sync(fd, (x) => this.inner.fsync(x));
  }

  async fsyncDir(path: string): Promise<void> {
    const p = norm(path);
    await this.inner.fsyncDir(p);
    const d = this.#dirs.get(p);
    if (d) d.durable = new Map(d.live);
  }

  async rename(from: string, to: string): Promise<void> {
    const a = norm(from);
    const b = norm(to);
    await this.inner.rename(a, b);
    const e = this.#lookup(a);
    if (e === undefined || e === 'dir') return;
    this.#dirOf(a)!.live.delete(basename(a));
    const old = this.#lookup(b);
    if (old && old !== 'dir') old.path = undefined;
    e.path = b;
    this.#dirOf(b)?.live.set(basename(b), e);
  }

  async unlink(path: string): Promise<void> {
    const p = norm(path);
    await this.inner.unlink(p);
    const e = this.#lookup(p);
    if (e && e !== 'dir') e.path = undefined;
    this.#dirOf(p)?.live.delete(basename(p));
  }

  truncate(fd: number, length: number): Promise<void> {
    return this.inner.truncate(fd, length);
  }

  readdir(path: string): Promise<string[]> {
    return this.inner.readdir(path);
  }

  stat(path: string): Promise<FileStat> {
    return this.inner.stat(path);
  }

  async mkdir(path: string): Promise<void> {
    const p = norm(path);
    await this.inner.mkdir(p);
    // Recursive: register every new level below root.
    const missing: string[] = [];
    for (let q = p; this.#tracked(q) && !this.#dirs.has(q); q = dirname(q)) missing.unshift(q);
    for (const q of missing) {
      this.#dirs.set(q, { live: new Map(), durable: new Map() });
      this.#dirOf(q)?.live.set(basename(q), 'dir');
    }
  }

  /**
   * Writes what a power loss now would leave into `to` (a new directory): the durable entries of every durable
   * directory, each file with its synced bytes — plus, when `rnd` is given, for about half the files whose current
   * bytes extend the synced ones, a random prefix of the unsynced tail (data written but never synced may or may
   * not reach the disk). Synchronous. Returns the files written (relative paths → bytes).
   */
  crashImage(to: string, rnd?: () => number): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    const walk = (dir: string, rel: string): void => {
      mkdirSync(join(to, rel), { recursive: true });
      for (const [name, e] of this.#dirs.get(dir)!.durable) {
        const r = rel ? `${rel}/${name}` : name;
        if (e === 'dir') {
          if (this.#dirs.has(join(dir, name))) walk(join(dir, name), r);
          continue;
        }
        const synced = e.synced ?? Buffer.alloc(0);
        let bytes = synced;
        if (rnd && e.path && rnd() < 0.5) {
          // An unlink may be under way (the inner unlink done, this layer's bookkeeping not yet): no unsynced tail.
          const now = existsSync(e.path) ? readFileSync(e.path) : synced;
          if (now.length > synced.length && now.subarray(0, synced.length).equals(synced)) {
            bytes = now.subarray(0, synced.length + Math.floor(rnd() * (now.length - synced.length + 1)));
          }
        }
        writeFileSync(join(to, r), bytes);
        out.set(r, bytes);
      }
    };
    walk(this.root, '');
    return out;
  }
}
