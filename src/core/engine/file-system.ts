import * as fs from 'node:fs';

/**
 * The injectable file system of storage-engine.md §0. All engine I/O goes through it: `node:fs` in production,
 * `FaultFileSystem` (fault-file-system.ts) in tests. File descriptors are plain numbers.
 *
 * Callback-style node:fs wrapped in promises: measurably cheaper per call than fs.promises' FileHandle, and the
 * commit log issues one write and one fdatasync per batch on the hot path.
 */
export type OpenFlags = 'r' | 'r+' | 'wx' | 'w';

export interface FileStat {
  readonly size: number;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}

export interface FileSystem {
  open(path: string, flags: OpenFlags): Promise<number>;
  close(fd: number): Promise<void>;
  /** Positional read; resolves with the bytes read (0 at EOF). */
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Positional write; resolves with the bytes written (may be short). */
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  /** Makes directory entries (creations, renames, unlinks) in `path` durable. */
  fsyncDir(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** ftruncate of an open file. */
  truncate(fd: number, length: number): Promise<void>;
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<FileStat>;
  mkdir(path: string): Promise<void>;
  /** Hard link: `target` becomes a second name of `existing` (same file system). Snapshots and restore. */
  link(existing: string, target: string): Promise<void>;
  /** Removes an empty directory. */
  rmdir(path: string): Promise<void>;
  /**
   * Optional synchronous positional write (returns the bytes written, may be short; throws like write). The commit
   * log's periodic mode uses it for small batches: a page-cache write of a few KiB costs less than the thread-pool
   * round trip of an async write. File systems without it (fault injection) get the async path.
   */
  writeSync?(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
}

function cb<T>(resolve: (v: T) => void, reject: (e: Error) => void) {
  return (err: NodeJS.ErrnoException | null, v?: T): void => {
    if (err) reject(err);
    else resolve(v as T);
  };
}

/** The production FileSystem over node:fs. */
export class NodeFileSystem implements FileSystem {
  writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    return fs.writeSync(fd, buffer, offset, length, position);
  }

  open(path: string, flags: OpenFlags): Promise<number> {
    return new Promise((resolve, reject) => fs.open(path, flags, 0o644, cb(resolve, reject)));
  }

  close(fd: number): Promise<void> {
    return new Promise((resolve, reject) => fs.close(fd, cb(resolve, reject)));
  }

  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => fs.read(fd, buffer, offset, length, position, cb(resolve, reject)));
  }

  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => fs.write(fd, buffer, offset, length, position, cb(resolve, reject)));
  }

  fdatasync(fd: number): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(fd, cb(resolve, reject)));
  }

  fsync(fd: number): Promise<void> {
    return new Promise((resolve, reject) => fs.fsync(fd, cb(resolve, reject)));
  }

  async fsyncDir(path: string): Promise<void> {
    const fd = await this.open(path, 'r');
    try {
      await this.fsync(fd);
    } finally {
      await this.close(fd);
    }
  }

  rename(from: string, to: string): Promise<void> {
    return new Promise((resolve, reject) => fs.rename(from, to, cb(resolve, reject)));
  }

  unlink(path: string): Promise<void> {
    return new Promise((resolve, reject) => fs.unlink(path, cb(resolve, reject)));
  }

  truncate(fd: number, length: number): Promise<void> {
    return new Promise((resolve, reject) => fs.ftruncate(fd, length, cb(resolve, reject)));
  }

  readdir(path: string): Promise<string[]> {
    return new Promise((resolve, reject) => fs.readdir(path, cb(resolve, reject)));
  }

  stat(path: string): Promise<FileStat> {
    return new Promise((resolve, reject) =>
      fs.stat(path, (err, st) => {
        if (err) reject(err);
        else resolve({ size: st.size, isFile: st.isFile(), isDirectory: st.isDirectory() });
      }),
    );
  }

  mkdir(path: string): Promise<void> {
    return new Promise((resolve, reject) => fs.mkdir(path, { recursive: true }, (err) => (err ? reject(err) : resolve())));
  }

  link(existing: string, target: string): Promise<void> {
    return new Promise((resolve, reject) => fs.link(existing, target, cb(resolve, reject)));
  }

  rmdir(path: string): Promise<void> {
    return new Promise((resolve, reject) => fs.rmdir(path, cb(resolve, reject)));
  }
}

/** Reads a whole file through `fsys`. */
export async function readWholeFile(fsys: FileSystem, path: string): Promise<Buffer> {
  const fd = await fsys.open(path, 'r');
  try {
    const { size } = await fsys.stat(path);
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = await fsys.read(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === size ? buf : buf.subarray(0, off);
  } finally {
    await fsys.close(fd);
  }
}

/** Writes all of buffer[offset, offset+length) at `position`, looping over short writes. */
/** writeSync until done (a short write continues); the caller checks the FileSystem has writeSync. */
export function writeFullySync(fsys: Required<Pick<FileSystem, 'writeSync'>>, fd: number, buffer: Buffer, offset: number, length: number, position: number): void {
  while (length > 0) {
    const n = fsys.writeSync(fd, buffer, offset, length, position);
    if (n <= 0) throw Object.assign(new Error('write returned 0 bytes'), { code: 'EIO' });
    offset += n;
    position += n;
    length -= n;
  }
}

export async function writeFully(
  fsys: FileSystem,
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<void> {
  while (length > 0) {
    const n = await fsys.write(fd, buffer, offset, length, position);
    if (n <= 0) throw Object.assign(new Error('write returned 0 bytes'), { code: 'EIO' });
    offset += n;
    position += n;
    length -= n;
  }
}

/** The errno code of an I/O error ('ENOSPC', 'EIO', …), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * An fsync/fdatasync (file or directory) failed. storage-engine.md §0: fatal for the process — after a failed sync
 * the kernel may have dropped the dirty pages, so nothing written since the last good sync can be trusted and a
 * retry could "succeed" over lost data.
 */
export class SyncFailedError extends Error {
  readonly code: string | undefined;
  constructor(what: string, cause: unknown) {
    super(`${what} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'SyncFailedError';
    this.code = errnoCode(cause);
  }
}

/** Runs one sync call, turning its failure into SyncFailedError. */
export async function syncOrFail(what: string, sync: () => Promise<void>): Promise<void> {
  try {
    await sync();
  } catch (err) {
    throw new SyncFailedError(what, err);
  }
}

/** Makes an Error that looks like a failed syscall. */
export function ioError(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${syscall}${path ? ` '${path}'` : ''}`);
  err.code = code;
  err.syscall = syscall;
  if (path) err.path = path;
  return err;
}
