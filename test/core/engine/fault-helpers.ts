import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A temp dir on a RAM file system (/dev/shm) when there is one, else the usual tmpdir. For the fault tests that
 * open an engine thousands of times: they are still real files and real syscalls, but fsync on tmpfs costs
 * microseconds instead of a disk flush. Nothing these tests assert depends on the medium: what a power loss keeps
 * is computed by the crash-tracking file system, and bit flips are made by the test itself.
 */
export function fastTempDir(prefix: string): { dir: string; cleanup(): void } {
  let base = tmpdir();
  try {
    accessSync('/dev/shm', constants.W_OK);
    base = '/dev/shm';
  } catch {
    // No /dev/shm (or not writable): the slower disk works the same.
  }
  const dir = mkdtempSync(join(base, prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The seed of a seeded test: the env var when set (to replay a failure), else a fresh random one. */
export function seedFrom(envVar: string): number {
  const s = process.env[envVar];
  if (s !== undefined && s !== '') {
    const n = Number(s);
    if (!Number.isInteger(n)) throw new Error(`${envVar} must be an integer, got ${JSON.stringify(s)}`);
    return n;
  }
  return Math.floor(Math.random() * 2 ** 31);
}
