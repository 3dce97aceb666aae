import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageEngine, type StorageEngineOptions } from '../../../src/core/engine/engine.js';
import { FaultFileSystem } from '../../../src/core/engine/fault-file-system.js';
import { encs, ver } from './helpers.js';
import { engineHarness } from './engine-harness.js';

const harness = engineHarness('pairdb-engine-');
const openEngine = harness.open;

async function reopen(e: StorageEngine, opts: Partial<StorageEngineOptions> = {}): Promise<StorageEngine> {
  await e.close();
  return openEngine(opts);
}

describe('StorageEngine', () => {
  it('returns [] for an unknown key and the written version after a write', async () => {
    const e = await openEngine();
    expect((await e.get('acme', 'k'))).toEqual([]);
    const v = ver({ value: '"hello"', writeId: 'w1' });
    const res = await e.write('acme', 'k', v, { purpose: 'CLIENT' });
    expect(res.outcome).toBe('APPLIED');
    expect(encs(res.current)).toEqual(encs([v]));
    expect(encs((await e.get('acme', 'k')))).toEqual(encs([v]));
    expect((await e.get('other', 'k'))).toEqual([]);
  });

  it('keeps versions, tombstones, siblings and write-id memory across a restart', async () => {
    let e = await openEngine();
    const now = Date.now() * 1000; // write ids are remembered for 24 h of wall-clock time
    const a = ver({ writer: 'c1', ht: now + 1000, value: '"a"', writeId: 'wa' });
    const b = ver({ writer: 'c2', ht: now + 2000, value: '"b"', writeId: 'wb' });
    const t = ver({ writer: 'c1', ht: now + 3000, tombstone: true, writeId: 'wt' });
    await e.write('acme', 'siblings', a, { purpose: 'CLIENT' });
    await e.write('acme', 'siblings', b, { purpose: 'CLIENT' });
    await e.write('acme', 'deleted', t, { purpose: 'CLIENT' });
    const stats = e.stats();
    expect([stats.keyCount, stats.tombstoneCount]).toEqual([1, 1]);
    e = await reopen(e);
    expect(encs((await e.get('acme', 'siblings')))).toEqual(encs([a, b]));
    expect(encs((await e.get('acme', 'deleted')))).toEqual(encs([t]));
    expect((await e.recentWrites('acme', 'siblings')).map((x) => x.writeId.toString())).toEqual(['wa', 'wb']);
    expect([e.stats().keyCount, e.stats().tombstoneCount]).toEqual([1, 1]);
  });

  it('answers DUPLICATE for a CLIENT write whose write id it remembers, without logging it (also after restart)', async () => {
    let e = await openEngine();
    const now = Date.now() * 1000;
    const v = ver({ ht: now + 1000, writeId: 'retry-me' });
    await e.write('acme', 'k', v, { purpose: 'CLIENT' });
    // The coordinator's retry made a new clock for the same client write.
    const replay = ver({ ht: now + 9000, writeId: 'retry-me', value: '"again"' });
    const bytes = e.stats().commitlogBytes;
    const res = await e.write('acme', 'k', replay, { purpose: 'CLIENT' });
    expect(res.outcome).toBe('DUPLICATE');
    expect(encs(res.current)).toEqual(encs([v]));
    expect(e.stats().commitlogBytes).toBe(bytes);
    e = await reopen(e);
    expect((await e.write('acme', 'k', replay, { purpose: 'CLIENT' })).outcome).toBe('DUPLICATE');
    expect(encs((await e.get('acme', 'k')))).toEqual(encs([v]));
  });

  it('applies a non-CLIENT write with a remembered write id by clock (only CLIENT writes deduplicate)', async () => {
    const e = await openEngine();
    await e.write('acme', 'k', ver({ ht: 1000, writeId: 'w' }), { purpose: 'CLIENT' });
    const newer = ver({ ht: 2000, writeId: 'w' });
    expect((await e.write('acme', 'k', newer, { purpose: 'READ_REPAIR' })).outcome).toBe('APPLIED');
  });

  it('answers DOMINATED for a no-op write and does not log it', async () => {
    const e = await openEngine();
    const newer = ver({ ht: 2000 });
    await e.write('acme', 'k', newer, { purpose: 'CLIENT' });
    const bytes = e.stats().commitlogBytes;
    const older = ver({ ht: 1000 });
    const res = await e.write('acme', 'k', older, { purpose: 'REPAIR' });
    expect(res.outcome).toBe('DOMINATED');
    expect(encs(res.current)).toEqual(encs([newer]));
    expect((await e.write('acme', 'k', newer, { purpose: 'HINT' })).outcome).toBe('DOMINATED');
    expect(e.stats().commitlogBytes).toBe(bytes);
  });

  it('collapses to the LWW winner for lww versions', async () => {
    const e = await openEngine();
    const a = ver({ writer: 'c1', ht: 5000, lww: true, value: '"a"' });
    const b = ver({ writer: 'c2', ht: 4000, lww: true, value: '"b"' });
    await e.write('acme', 'k', a, { purpose: 'CLIENT' });
    const res = await e.write('acme', 'k', b, { purpose: 'CLIENT' });
    expect(res.outcome).toBe('DOMINATED');
    expect(encs((await e.get('acme', 'k')))).toEqual(encs([a]));
  });

  it('fails a CLIENT write that would leave more than 64 versions with SIBLING_LIMIT_EXCEEDED, unlogged', async () => {
    const e = await openEngine();
    await Promise.all(
      Array.from({ length: 64 }, (_, i) => e.write('acme', 'k', ver({ writer: `c${i}`, ht: 1000 }), { purpose: 'CLIENT' })),
    );
    expect((await e.get('acme', 'k'))).toHaveLength(64);
    const bytes = e.stats().commitlogBytes;
    await expect(e.write('acme', 'k', ver({ writer: 'c64', ht: 1000 }), { purpose: 'CLIENT' })).rejects.toMatchObject({
      code: 'SIBLING_LIMIT_EXCEEDED',
    });
    expect(e.stats().commitlogBytes).toBe(bytes);
    // Internal purposes are never capped.
    const res = await e.writeVersions('acme', 'k', [ver({ writer: 'c64', ht: 1000 }), ver({ writer: 'c65', ht: 1000 })], {
      purpose: 'REPAIR',
    });
    expect(res.outcome).toBe('APPLIED');
    expect(res.current).toHaveLength(66);
  });

  it('merges recent_writes of internal writes into the write-id memory', async () => {
    const e = await openEngine({ now: () => 1_700_000_000_500 });
    const v = ver({ ht: 1_700_000_000_000_000 });
    await e.write('acme', 'k', v, { purpose: 'CLIENT' });
    const res = await e.writeVersions('acme', 'k', [v], {
      purpose: 'REPAIR',
      recentWrites: [{ writeId: Buffer.from('remote'), timestampMs: 1_700_000_000_000 }],
    });
    expect(res.outcome).toBe('DOMINATED'); // versions unchanged, memory grew
    expect((await e.recentWrites('acme', 'k')).map((x) => x.writeId.toString())).toEqual(['remote']);
    expect((await e.write('acme', 'k', ver({ ht: 1_700_000_000_100_000, writeId: 'remote' }), { purpose: 'CLIENT' })).outcome).toBe(
      'DUPLICATE',
    );
  });

  it('rejects a write whose deadline has passed with TIMEOUT', async () => {
    const e = await openEngine();
    await expect(e.write('acme', 'k', ver({}), { purpose: 'CLIENT', deadlineMs: Date.now() - 1 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    expect((await e.get('acme', 'k'))).toEqual([]);
  });

  it('rejects bad keys and a CLIENT write with several versions with INVALID_REQUEST', async () => {
    const e = await openEngine();
    await expect(e.write('', 'k', ver({}), { purpose: 'CLIENT' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(e.write('acme', 'a\u0000b', ver({}), { purpose: 'CLIENT' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(e.write('acme', 'a\uD800b', ver({}), { purpose: 'CLIENT' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect((await e.write('acme', 'a\u{1F600}b', ver({}), { purpose: 'CLIENT' })).outcome).toBe('APPLIED');
    await expect(e.writeVersions('acme', 'k', [ver({}), ver({ writer: 'c2' })], { purpose: 'CLIENT' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('refuses a data dir whose LOCK is held by a live process with DATA_DIR_LOCKED', async () => {
    await openEngine();
    await expect(openEngine()).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });
  });

  it('takes over the LOCK of a dead process', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const pid = Number(dead.stdout.toString());
    writeFileSync(join(harness.dir, 'LOCK'), `${pid}\n`);
    const e = await openEngine();
    await e.write('acme', 'k', ver({}), { purpose: 'CLIENT' });
    expect((await e.get('acme', 'k'))).toHaveLength(1);
  });

  it('releases the LOCK on close', async () => {
    const e = await openEngine();
    await e.close();
    const again = await openEngine();
    expect(again.status).toBe('open');
  });

  it('treats an fdatasync failure as fatal: onFatal, the write rejected and never visible, later writes refused', async () => {
    const fs = new FaultFileSystem();
    const fatal: Error[] = [];
    const e = await openEngine({ fs, onFatal: (err) => fatal.push(err) });
    fs.failAt('fdatasync', 1, 'EIO');
    await expect(e.write('acme', 'k', ver({}), { purpose: 'CLIENT' })).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(fatal).toHaveLength(1);
    expect(e.status).toBe('failed');
    expect((await e.get('acme', 'k'))).toEqual([]);
    await expect(e.write('acme', 'k2', ver({}), { purpose: 'CLIENT' })).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('fails writes with DISK_FULL on ENOSPC and keeps serving reads and later writes', async () => {
    const fs = new FaultFileSystem();
    // statfs says there is room: the ENOSPC alone puts the disk guard in reject, until its next check (§9).
    const e = await openEngine({ fs, statfs: async () => ({ bsize: 4096, blocks: 1000, bavail: 900 }) });
    await e.write('acme', 'a', ver({}), { purpose: 'CLIENT' });
    fs.enospcAfter(0);
    await expect(e.write('acme', 'b', ver({}), { purpose: 'CLIENT' })).rejects.toMatchObject({ code: 'DISK_FULL' });
    expect(e.diskState).toBe('reject');
    expect((await e.get('acme', 'a'))).toHaveLength(1);
    expect((await e.get('acme', 'b'))).toEqual([]);
    fs.clearFaults();
    expect(await e.checkDisk()).toBe('ok');
    await e.write('acme', 'c', ver({}), { purpose: 'CLIENT' });
    const again = await reopen(e);
    expect((await again.get('acme', 'b'))).toEqual([]);
    expect((await again.get('acme', 'c'))).toHaveLength(1);
  });

  it('reports stats: live keys, tombstones, memtable bytes, commit-log bytes and segments', async () => {
    const e = await openEngine();
    const before = e.stats();
    expect(before.segments).toBe(1);
    await e.write('acme', 'a', ver({}), { purpose: 'CLIENT' });
    const after = e.stats();
    expect(after.keyCount).toBe(1);
    expect(after.memtableBytes).toBeGreaterThan(before.memtableBytes);
    expect(after.commitlogBytes).toBeGreaterThan(before.commitlogBytes);
    expect(after.commitlogSyncs).toBe(1);
  });

  it('works in periodic commit-log mode and keeps data across a restart', async () => {
    let e = await openEngine({ commitlogSync: 'periodic', syncIntervalMs: 50 });
    await e.write('acme', 'k', ver({ value: '"p"' }), { purpose: 'CLIENT' });
    e = await reopen(e, { commitlogSync: 'periodic', syncIntervalMs: 50 });
    expect((await e.get('acme', 'k'))).toHaveLength(1);
  });

  it('keeps the periodic fsync running while one writer writes back to back (synchronous batches yield)', async () => {
    // Periodic mode writes small batches synchronously; a writer that awaits each write then resumes in a
    // microtask. Without the loop's turns the event loop would never run the 20 ms sync timer.
    const e = await openEngine({ commitlogSync: 'periodic', syncIntervalMs: 20 });
    const until = performance.now() + 300;
    let n = 0;
    while (performance.now() < until) await e.writeBlind('acme', `k${n++ % 500}`, ver({ ht: 1_700_000_000_000_000 + n, value: '"v"' }), { purpose: 'STREAM' });
    expect(n).toBeGreaterThan(100);
    expect(e.stats().commitlogSyncs).toBeGreaterThan(0);
  });
});
