import { type FileStat, type FileSystem, NodeFileSystem, type OpenFlags } from '../../../src/core/engine/file-system.js';

/**
 * A FileSystem that forwards every call to node:fs and remembers the path of each open fd; test file systems
 * extend it and override only the calls they hold or count.
 */
export class ForwardingFileSystem implements FileSystem {
  protected readonly inner: FileSystem = new NodeFileSystem();
  readonly #paths = new Map<number, string>();

  protected pathOf(fd: number): string | undefined {
    return this.#paths.get(fd);
  }

  async open(path: string, flags: OpenFlags): Promise<number> {
    const fd = await this.inner.open(path, flags);
    this.#paths.set(fd, path);
    return fd;
  }
  close(fd: number): Promise<void> {
    this.#paths.delete(fd);
    return this.inner.close(fd);
  }
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.inner.read(fd, buffer, offset, length, position);
  }
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.inner.write(fd, buffer, offset, length, position);
  }
  fdatasync(fd: number): Promise<void> {
    return this.inner.fdatasync(fd);
  }
  fsync(fd: number): Promise<void> {
    return this.inner.fsync(fd);
  }
  fsyncDir(path: string): Promise<void> {
    return this.inner.fsyncDir(path);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  unlink(path: string): Promise<void> {
    return this.inner.unlink(path);
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
  mkdir(path: string): Promise<void> {
    return this.inner.mkdir(path);
  }
  link(existing: string, target: string): Promise<void> {
    return this.inner.link(existing, target);
  }
  rmdir(path: string): Promise<void> {
    return this.inner.rmdir(path);
  }
}
