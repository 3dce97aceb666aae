import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageEngine } from '../../../src/core/engine/engine.js';
import { PairdbError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/observability/logger.js';
import { ver } from './helpers.js';

/**
 * storage-engine.md §11.10 on a real file system: a loop-mounted 8 MiB ext4 (root and PAIRDB_ROOT_TESTS=1 only, as
 * the spec says; `.ci/run` sets it when it runs as root). Writes fill the disk until they fail with a
 * RESOURCE_EXHAUSTED code; acked data stays readable; no partial table survives a restart; once space is freed
 * (a filler file deleted) writes resume and a reopen has every acked write.
 */

const ENABLED = process.getuid?.() === 0 && process.env.PAIRDB_ROOT_TESTS === '1';

describe.runIf(ENABLED)('StorageEngine on a full 8 MiB ext4 (loop mount)', () => {
  let base: string;
  let mnt: string;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'pairdb-loop-'));
    mnt = join(base, 'mnt');
    mkdirSync(mnt);
    const img = join(base, 'disk.img');
    execFileSync('truncate', ['-s', '8M', img]);
    execFileSync('mkfs.ext4', ['-q', '-F', img]);
    execFileSync('mount', ['-o', 'loop', img, mnt]);
  });

  afterAll(() => {
    try {
      execFileSync('umount', [mnt]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('fails writes ResourceExhausted when full, keeps acked data, leaves no partial table, resumes after space frees', async () => {
    const dataDir = join(mnt, 'data');
    // A filler the test deletes later to "free space".
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(2 * 1024 * 1024, 1));
    const opts = {
      dataDir,
      logger: silentLogger(),
      memtableBytes: 256 * 1024,
      segmentBytes: 256 * 1024,
      diskPollIntervalMs: 50,
    };
    let e = await StorageEngine.open(opts);
    const acked = new Map<string, string>();
    const value = (i: number): string => `"${String(i).padStart(8, '0')}${'x'.repeat(900)}"`;
    let failure: PairdbError | undefined;
    const base = Date.now() * 1000;
    for (let i = 0; i < 20_000 && !failure; i++) {
      const key = `k${i}`;
      try {
        await e.write('t', key, ver({ ht: base + i, value: value(i) }), { purpose: 'CLIENT' });
        acked.set(key, value(i));
      } catch (err) {
        failure = PairdbError.from(err);
      }
    }
    expect(failure, 'the disk never filled').toBeDefined();
    // DISK_FULL (ENOSPC, or the disk guard's reject state) — gRPC RESOURCE_EXHAUSTED (8).
    expect(failure!.grpcCode).toBe(8);
    expect(acked.size).toBeGreaterThan(100);
    // Reads keep working on a full disk.
    for (const k of [...acked.keys()].filter((_, i) => i % 97 === 0)) {
      const got = await e.get('t', k);
      expect(got.map((v) => v.value.toString()), k).toEqual([acked.get(k)]);
    }
    await e.close().catch(() => undefined);

    // A restart on the still-full disk: every table on disk is one the manifest lists, no temp file is left.
    e = await StorageEngine.open(opts);
    const listed = new Set([...e.manifestState.tables.values()].flat().map((t) => `${String(t.file).padStart(20, '0')}.sst`));
    const sst = readdirSync(join(dataDir, 'sst'));
    expect(sst.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(sst.filter((n) => n.endsWith('.sst') && !listed.has(n))).toEqual([]);

    // Space frees: writes resume (after the guard's next look at statfs).
    rmSync(join(mnt, 'filler'));
    await e.checkDisk();
    const more = await e.write('t', 'after', ver({ ht: base + 1_000_000, value: '"after"' }), { purpose: 'CLIENT' });
    expect(more.outcome).toBe('APPLIED');
    await e.close();

    e = await StorageEngine.open(opts);
    try {
      for (const [k, v] of acked) expect((await e.get('t', k)).map((x) => x.value.toString()), k).toEqual([v]);
      expect((await e.get('t', 'after')).map((x) => x.value.toString())).toEqual(['"after"']);
    } finally {
      await e.close();
    }
  }, 120_000);
});
