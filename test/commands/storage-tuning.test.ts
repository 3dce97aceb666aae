import { describe, expect, it } from 'vitest';
import { storageConfigFromFlags } from '../../src/commands/storage.js';
import { defaultStorageFlags } from '../daemons/storage-harness.js';
import { pairdb } from '../e2e/cli-harness.js';

/** Engine tuning flags of `pairdb storage` (cli-and-ops.md §4): parsed into engine options, bad values are USAGE. */

const base = defaultStorageFlags('/tmp/unused');

describe('pairdb storage tuning flags', () => {
  it('defaults to the spec values and passes overrides to the engine', () => {
    const d = storageConfigFromFlags(base).tuning!;
    expect(d.blockBytes).toBe(4096);
    expect(d.bloomBitsPerKey).toBe(10);
    expect(d.compactionBytesPerSec).toBe(64 * 1024 * 1024);
    expect(d.compaction).toEqual({ l0Trigger: 4, l1TargetBytes: 256 * 1024 * 1024, levelMultiplier: 10, maxLevel: 6, targetFileBytes: 32 * 1024 * 1024, gcGraceMs: 864_000_000 });
    const t = storageConfigFromFlags({
      ...base,
      blockSize: '16KiB',
      bloomBitsPerKey: '14',
      blockCacheSize: '8MiB',
      l0CompactionTrigger: '2',
      level1Size: '64MiB',
      levelMultiplier: '8',
      maxLevel: '4',
      targetFileSize: '8MiB',
      compactionRate: '0',
      gcGrace: '2d',
      hintWindow: '1h',
    }).tuning!;
    expect(t).toMatchObject({ blockBytes: 16384, bloomBitsPerKey: 14, blockCacheBytes: 8 * 1024 * 1024, compactionBytesPerSec: 0 });
    expect(t.compaction).toMatchObject({ l0Trigger: 2, l1TargetBytes: 64 * 1024 * 1024, levelMultiplier: 8, maxLevel: 4, targetFileBytes: 8 * 1024 * 1024, gcGraceMs: 2 * 86_400_000 });
  });

  it('rejects bad values with USAGE, including a gc-grace not above the hint window', () => {
    for (const bad of [
      { blockSize: '100B' },
      { bloomBitsPerKey: '0' },
      { l0CompactionTrigger: 'x' },
      { maxLevel: '7' },
      { levelMultiplier: '1' },
      { targetFileSize: '1KiB' },
      { gcGrace: '3h' },
      { gcGrace: '1h', hintWindow: '2h' },
    ]) {
      expect(() => storageConfigFromFlags({ ...base, ...bad }), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    }
  });

  it('exits 2 from the real binary when --gc-grace does not exceed --hint-window', async () => {
    const r = await pairdb(['storage', '--node-id', 's1', '--data-dir', '/tmp/pairdb-never-created', '--gc-grace', '1h']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/gc-grace/);
  });
});
