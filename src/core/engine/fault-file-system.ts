import { readFileSync } from 'node:fs';
import { type FileStat, type FileSystem, type OpenFlags, NodeFileSystem, ioError } from './file-system.js';

/** The operations a FaultFileSystem counts and can fail. */
export type FsOp =
  | 'open'
  | 'close'
  | 'read'
  | 'write'
  | 'fdatasync'
  | 'fsync'
  | 'fsyncDir'
  | 'rename'
  | 'unlink'
  | 'truncate'
  | 'readdir'
  | 'stat'
  | 'mkdir'
  | 'link'
  | 'rmdir';

interface Fault {
  op: FsOp;
  /** Calls of `op` still to let through before failing. */
  skip: number;
  code: string;
}

/**
 * A FileSystem wrapper for tests (storage-engine.md §0 "FaultFS"): counts every call, fails the Nth call of an
 * operation with a chosen errno, runs out of space after a byte budget (writing the prefix that fits, as a real
 * short write would), can hold fdatasyncs until released, and remembers what each file held when its last
 * completed fdatasync/fsync began — the bytes a power loss would keep.
 */
export class FaultFileSystem implements FileSystem {
  readonly inner: FileSystem;
  readonly counts: Record<FsOp, number> = {
    open: 0,
    close: 0,
    read: 0,
    write: 0,
    fdatasync: 0,
    fsync: 0,
    fsyncDir: 0,
    rename: 0,
    unlink: 0,
    truncate: 0,
    readdir: 0,
    stat: 0,
    mkdir: 0,
    link: 0,
    rmdir: 0,
  };
  /** One line per mutating call, in call order: `write <path> <pos> <len>`, `fdatasync <path>`, …. */
  readonly events: string[] = [];
  #faults: Fault[] = [];
  #spaceLeft = Infinity;
  #hold: Promise<void> | undefined;
  readonly #paths = new Map<number, string>();
  readonly #durable = new Map<string, Buffer>();

  constructor(inner: FileSystem = new NodeFileSystem()) {
    this.inner = inner;
  }

  /** Makes the `nth` next call of `op` (1 = the very next) fail with `code`. */
  failAt(op: FsOp, nth = 1, code = 'EIO'): void {
    this.#faults.push({ op, skip: nth - 1, code });
  }

  /** Lets `bytes` more bytes be written, then fails writes with ENOSPC (after writing what fits). */
  enospcAfter(bytes: number): void {
    this.#spaceLeft = bytes;
  }

  clearFaults(): void {
    this.#faults = [];
    this.#spaceLeft = Infinity;
  }

  /** Holds every fdatasync until the returned function is called. */
  holdFdatasync(): () => void {
    let release!: () => void;
    this.#hold = new Promise<void>((r) => (release = r));
    return () => {
      this.#hold = undefined;
      release();
    };
  }

  /** The content `path` had when its last completed fdatasync/fsync began (undefined if never synced). */
  durable(path: string): Buffer | undefined {
    return this.#durable.get(path);
  }

  #check(op: FsOp, path?: string): void {
    this.counts[op]++;
    for (let i = 0; i < this.#faults.length; i++) {
      const f = this.#faults[i]!;
      if (f.op !== op) continue;
      if (f.skip > 0) {
        f.skip--;
        continue;
      }
      this.#faults.splice(i, 1);
      throw ioError(f.code, op, path);
    }
  }

  async open(path: string, flags: OpenFlags): Promise<number> {
    this.#check('open', path);
    const fd = await this.inner.open(path, flags);
    this.#paths.set(fd, path);
    if (flags !== 'r') this.events.push(`open ${path} ${flags}`);
    return fd;
  }

  async close(fd: number): Promise<void> {
    this.#check('close', this.#paths.get(fd));
    await this.inner.close(fd);
    this.#paths.delete(fd);
  }

  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.#check('read', this.#paths.get(fd));
    return this.inner.read(fd, buffer, offset, length, position);
  }

  async write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const path = this.#paths.get(fd);
    this.#check('write', path);
    this.events.push(`write ${path} ${position} ${length}`);
    if (length > this.#spaceLeft) {
      const fits = this.#spaceLeft;
      this.#spaceLeft = 0;
      if (fits > 0) await this.inner.write(fd, buffer, offset, fits, position);
      throw ioError('ENOSPC', 'write', path);
    }
    const n = await this.inner.write(fd, buffer, offset, length, position);
    this.#spaceLeft -= n;
    return n;
  }

  async fdatasync(fd: number): Promise<void> {
    const path = this.#paths.get(fd);
    this.#check('fdatasync', path);
    const snapshot = path ? readFileSync(path) : undefined;
    if (this.#hold) await this.#hold;
    await this.inner.fdatasync(fd);
    this.events.push(`fdatasync ${path}`);
    if (path && snapshot) this.#durable.set(path, snapshot);
  }

  async fsync(fd: number): Promise<void> {
    const path = this.#paths.get(fd);
    this.#check('fsync', path);
    const snapshot = path ? readFileSync(path) : undefined;
    await this.inner.fsync(fd);
    this.events.push(`fsync ${path}`);
    if (path && snapshot) this.#durable.set(path, snapshot);
  }

  async fsyncDir(path: string): Promise<void> {
    this.#check('fsyncDir', path);
    await this.inner.fsyncDir(path);
    this.events.push(`fsyncDir ${path}`);
  }

  async rename(from: string, to: string): Promise<void> {
    this.#check('rename', from);
    await this.inner.rename(from, to);
    this.events.push(`rename ${from} ${to}`);
  }

  async unlink(path: string): Promise<void> {
    this.#check('unlink', path);
    await this.inner.unlink(path);
    this.events.push(`unlink ${path}`);
  }

  async truncate(fd: number, length: number): Promise<void> {
    const path = this.#paths.get(fd);
    this.#check('truncate', path);
    await this.inner.truncate(fd, length);
    this.events.push(`truncate ${path} ${length}`);
  }

  readdir(path: string): Promise<string[]> {
    this.#check('readdir', path);
    return this.inner.readdir(path);
  }

  stat(path: string): Promise<FileStat> {
    this.#check('stat', path);
    return this.inner.stat(path);
  }

  async mkdir(path: string): Promise<void> {
    this.#check('mkdir', path);
    await this.inner.mkdir(path);
  }

  async link(existing: string, target: string): Promise<void> {
    this.#check('link', target);
    await this.inner.link(existing, target);
    this.events.push(`link ${existing} ${target}`);
  }

  async rmdir(path: string): Promise<void> {
    this.#check('rmdir', path);
    await this.inner.rmdir(path);
    this.events.push(`rmdir ${path}`);
  }
}
