import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fastTempDir } from './fault-helpers.js';
import { PowerLossFileSystem } from './power-loss-fs.js';

/** The power-loss model the engine model test relies on: only synced bytes and fsynced directory entries survive. */

let tmp: ReturnType<typeof fastTempDir>;
beforeEach(() => {
  tmp = fastTempDir('pairdb-plfs-');
});
afterEach(() => tmp.cleanup());

async function put(fs: PowerLossFileSystem, path: string, data: string, sync: boolean): Promise<number> {
  const fd = await fs.open(path, 'w');
  await fs.write(fd, Buffer.from(data), 0, data.length, 0);
  if (sync) await fs.fsync(fd);
  return fd;
}

describe('PowerLossFileSystem', () => {
  it('keeps synced bytes, drops unsynced ones, and keeps a file only once its directory entry was fsynced', async () => {
    const root = join(tmp.dir, 'data');
    const fs = new PowerLossFileSystem(root);
    await fs.mkdir(root);
    const fd = await put(fs, join(root, 'a'), 'hello', true);
    await fs.close(await put(fs, join(root, 'b'), 'never synced', false));
    let img = fs.crashImage(join(tmp.dir, 'img1'));
    expect([...img.keys()]).toEqual([]); // no fsyncDir yet: neither name is durable
    await fs.fsyncDir(root);
    await fs.write(fd, Buffer.from(' world'), 0, 6, 5);
    img = fs.crashImage(join(tmp.dir, 'img2'));
    expect(Object.fromEntries([...img].map(([k, v]) => [k, v.toString()]))).toEqual({ a: 'hello', b: '' });
    expect(readFileSync(join(tmp.dir, 'img2', 'a'), 'utf8')).toBe('hello');
    await fs.fdatasync(fd);
    expect(fs.crashImage(join(tmp.dir, 'img3')).get('a')!.toString()).toBe('hello world');
    await fs.close(fd);
  });

  it('with a random source keeps a prefix of an unsynced tail (never bytes the file did not hold)', async () => {
    const root = join(tmp.dir, 'data');
    const fs = new PowerLossFileSystem(root);
    await fs.mkdir(root);
    const fd = await put(fs, join(root, 'log'), 'durable|', true);
    await fs.fsyncDir(root);
    await fs.write(fd, Buffer.from('tail-bytes'), 0, 10, 8);
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      let s = i * 7919 + 1;
      const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
      seen.add(fs.crashImage(join(tmp.dir, `img-${i}`), rnd).get('log')!.toString());
    }
    for (const s of seen) expect('durable|tail-bytes'.startsWith(s) && s.startsWith('durable|')).toBe(true);
    expect(seen.size).toBeGreaterThan(2);
    await fs.close(fd);
  });

  it('follows a file through publish (write tmp, fsync, rename, fsyncDir) and undoes an unlink that was not fsynced', async () => {
    const root = join(tmp.dir, 'data');
    await new PowerLossFileSystem(root).mkdir(root);
    const fs = new PowerLossFileSystem(root);
    await fs.close(await put(fs, join(root, 'CURRENT.tmp'), 'M-1', true));
    await fs.rename(join(root, 'CURRENT.tmp'), join(root, 'CURRENT'));
    expect([...fs.crashImage(join(tmp.dir, 'before')).keys()]).toEqual([]);
    await fs.fsyncDir(root);
    expect(Object.fromEntries([...fs.crashImage(join(tmp.dir, 'after'))].map(([k, v]) => [k, v.toString()]))).toEqual({ CURRENT: 'M-1' });
    await fs.unlink(join(root, 'CURRENT'));
    expect(existsSync(join(root, 'CURRENT'))).toBe(false);
    expect(fs.crashImage(join(tmp.dir, 'unlinked')).get('CURRENT')!.toString()).toBe('M-1');
    await fs.fsyncDir(root);
    expect(fs.crashImage(join(tmp.dir, 'gone')).has('CURRENT')).toBe(false);
  });

  it('takes what is already on disk as durable, and drops a new subdirectory whose entry was never fsynced', async () => {
    const root = join(tmp.dir, 'data');
    const first = new PowerLossFileSystem(root);
    await first.mkdir(join(root, 'old'));
    await first.close(await put(first, join(root, 'old', 'x'), 'x', true));
    const fs = new PowerLossFileSystem(root);
    await fs.mkdir(join(root, 'new'));
    await fs.close(await put(fs, join(root, 'new', 'y'), 'y', true));
    await fs.fsyncDir(join(root, 'new'));
    expect([...fs.crashImage(join(tmp.dir, 'i1')).keys()]).toEqual(['old/x']);
    await fs.fsyncDir(root);
    expect([...fs.crashImage(join(tmp.dir, 'i2')).keys()].sort()).toEqual(['new/y', 'old/x']);
  });
});
