import { dirname, posix } from 'node:path';
import { type FileStat, type FileSystem, type OpenFlags, ioError } from '../../../src/core/engine/file-system.js';

/**
 * An in-memory FileSystem (the §0 interface) for tests that open an engine thousands of times, such as the bit-flip
 * test: every call resolves at once, where node:fs costs a thread-pool round trip per call. Files are copy-on-write
 * over the buffers they were seeded with, so many instances can share one golden image. fsync calls are no-ops (no
 * power loss is modelled here). Tests using it also run a sample on real files to show the two agree.
 */

interface Inode {
  data: Buffer;
  size: number;
  /** false while `data` is still a seed buffer shared with other instances. */
  owned: boolean;
}

function norm(path: string): string {
  return posix.normalize(path).replace(/\/+$/, '') || '/';
}

export class MemFileSystem implements FileSystem {
  readonly #files = new Map<string, Inode>();
  readonly #dirs = new Set<string>(['/']);
  readonly #fds = new Map<number, Inode>();
  #nextFd = 3;

  /** Seeds files (absolute path → bytes, shared until written) and their parent directories. */
  constructor(seed: Iterable<readonly [string, Buffer]> = []) {
    for (const [path, data] of seed) {
      const p = norm(path);
      this.#mkdirs(dirname(p));
      this.#files.set(p, { data, size: data.length, owned: false });
    }
  }

  /** A file's current bytes (a copy), or undefined. */
  contents(path: string): Buffer | undefined {
    const f = this.#files.get(norm(path));
    return f ? Buffer.from(f.data.subarray(0, f.size)) : undefined;
  }

  #mkdirs(path: string): void {
    for (let p = norm(path); !this.#dirs.has(p); p = dirname(p)) {
      if (this.#files.has(p)) throw ioError('ENOTDIR', 'mkdir', p);
      this.#dirs.add(p);
    }
  }

  #parentExists(p: string, op: string): void {
    if (!this.#dirs.has(dirname(p))) throw ioError('ENOENT', op, p);
  }

  #fd(fd: number, op: string): Inode {
    const f = this.#fds.get(fd);
    if (!f) throw ioError('EBADF', op);
    return f;
  }

  #own(f: Inode, capacity: number): void {
    if (f.owned && f.data.length >= capacity) return;
    const data = Buffer.alloc(Math.max(capacity, f.owned ? f.data.length * 2 : f.size, 64));
    f.data.copy(data, 0, 0, f.size);
    f.data = data;
    f.owned = true;
  }

  async open(path: string, flags: OpenFlags): Promise<number> {
    const p = norm(path);
    this.#parentExists(p, 'open');
    // Directories are only ever opened by fsyncDir, which this class implements directly.
    if (this.#dirs.has(p)) throw ioError('EISDIR', 'open', p);
    let f = this.#files.get(p);
    if (flags === 'wx' && f) throw ioError('EEXIST', 'open', p);
    if ((flags === 'r' || flags === 'r+') && !f) throw ioError('ENOENT', 'open', p);
    if (flags === 'w' || flags === 'wx') {
      f = { data: Buffer.alloc(0), size: 0, owned: true };
      this.#files.set(p, f);
    }
    const fd = this.#nextFd++;
    this.#fds.set(fd, f!);
    return fd;
  }

  async close(fd: number): Promise<void> {
    this.#fd(fd, 'close');
    this.#fds.delete(fd);
  }

  async read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const f = this.#fd(fd, 'read');
    if (position >= f.size) return 0;
    return f.data.copy(buffer, offset, position, Math.min(f.size, position + length));
  }

  async write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const f = this.#fd(fd, 'write');
    const end = position + length;
    this.#own(f, end);
    if (position > f.size) f.data.fill(0, f.size, position);
    buffer.copy(f.data, position, offset, offset + length);
    f.size = Math.max(f.size, end);
    return length;
  }

  async fdatasync(fd: number): Promise<void> {
    this.#fd(fd, 'fdatasync');
  }

  async fsync(fd: number): Promise<void> {
    this.#fd(fd, 'fsync');
  }

  async fsyncDir(path: string): Promise<void> {
    if (!this.#dirs.has(norm(path))) throw ioError('ENOENT', 'fsyncDir', path);
  }

  async rename(from: string, to: string): Promise<void> {
    const a = norm(from);
    const b = norm(to);
    const f = this.#files.get(a);
    if (!f) throw ioError(this.#dirs.has(a) ? 'EISDIR' : 'ENOENT', 'rename', a);
    this.#parentExists(b, 'rename');
    if (this.#dirs.has(b)) throw ioError('EISDIR', 'rename', b);
    this.#files.delete(a);
    this.#files.set(b, f);
  }

  async unlink(path: string): Promise<void> {
    const p = norm(path);
    if (!this.#files.delete(p)) throw ioError(this.#dirs.has(p) ? 'EISDIR' : 'ENOENT', 'unlink', p);
  }

  async truncate(fd: number, length: number): Promise<void> {
    const f = this.#fd(fd, 'truncate');
    this.#own(f, length);
    if (length > f.size) f.data.fill(0, f.size, length);
    f.size = length;
  }

  async readdir(path: string): Promise<string[]> {
    const p = norm(path);
    if (!this.#dirs.has(p)) throw ioError(this.#files.has(p) ? 'ENOTDIR' : 'ENOENT', 'readdir', p);
    const prefix = p === '/' ? '/' : `${p}/`;
    const names = new Set<string>();
    for (const q of [...this.#files.keys(), ...this.#dirs]) {
      if (q.startsWith(prefix) && q.length > prefix.length && !q.slice(prefix.length).includes('/')) names.add(q.slice(prefix.length));
    }
    return [...names].sort();
  }

  async stat(path: string): Promise<FileStat> {
    const p = norm(path);
    const f = this.#files.get(p);
    if (f) return { size: f.size, isFile: true, isDirectory: false };
    if (this.#dirs.has(p)) return { size: 0, isFile: false, isDirectory: true };
    throw ioError('ENOENT', 'stat', p);
  }

  async mkdir(path: string): Promise<void> {
    this.#mkdirs(path);
  }
}
