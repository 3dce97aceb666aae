import { describe, expect, it } from 'vitest';
import { StorageEngine, type StorageEngineOptions } from '../../../src/core/engine/engine.js';
import { NodeFileSystem, type OpenFlags } from '../../../src/core/engine/file-system.js';
import { encs, ver, waitUntil } from './helpers.js';
import { engineHarness } from './engine-harness.js';

/**
 * writeBlind (storage-engine.md §3) and the row cache on the engine's read path (§7 steps 1 and 4).
 */

const harness = engineHarness('pairdb-rowcache-');
const openEngine = harness.open;

const closeEngine = harness.close;

const BASE = Date.now() * 1000;
const v = (i: number, writer = 'c1', writeId = `w-${writer}-${i}`): ReturnType<typeof ver> =>
  ver({ writer, ht: BASE + i, value: `"${writer}-${i}"`, writeId });

/**
 * node:fs that counts reads of SSTable files and can hold them (`hold()` returns the release), so a test can see
 * whether a call read a table and can run writes / a memtable switch while a table read is in flight.
 */
class SpyFileSystem extends NodeFileSystem {
  readonly #paths = new Map<number, string>();
  sstReads = 0;
  #held: Array<() => void> | undefined;
  heldReads = 0;

  override async open(path: string, flags: OpenFlags): Promise<number> {
    const fd = await super.open(path, flags);
    this.#paths.set(fd, path);
    return fd;
  }

  override close(fd: number): Promise<void> {
    this.#paths.delete(fd);
    return super.close(fd);
  }

  override async read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (this.#paths.get(fd)?.endsWith('.sst')) {
      this.sstReads++;
      if (this.#held) {
        this.heldReads++;
        await new Promise<void>((r) => this.#held!.push(r));
      }
    }
    return super.read(fd, buffer, offset, length, position);
  }

  hold(): () => void {
    this.#held = [];
    return () => {
      const waiters = this.#held ?? [];
      this.#held = undefined;
      for (const w of waiters) w();
    };
  }
}

/** Writes `n` keys, flushes them to a table and reopens the engine on `fs` (empty block cache, empty row cache). */
async function engineOverTable(fs: SpyFileSystem, opts: Partial<StorageEngineOptions> = {}): Promise<StorageEngine> {
  const first = await openEngine();
  for (let i = 0; i < 20; i++) await first.write('acme', `k${i}`, v(i), { purpose: 'CLIENT' });
  await first.flush();
  await closeEngine(first);
  const e = await openEngine({ fs, ...opts });
  expect(e.stats().tables).toBe(1);
  return e;
}

describe('StorageEngine.writeBlind', () => {
  it('is durable across a restart (replayed from the log, no flush)', async () => {
    const e = await openEngine({ flushOnShutdown: false });
    await e.writeBlind('acme', 'k', [v(1, 'c1'), v(2, 'c2')], { purpose: 'STREAM' });
    await e.writeBlind('acme', 'k2', v(3), { purpose: 'REPAIR' });
    await closeEngine(e);
    const again = await openEngine();
    expect(again.stats().tables).toBe(0);
    expect(encs(await again.get('acme', 'k'))).toEqual(encs([v(1, 'c1'), v(2, 'c2')]));
    expect(encs(await again.get('acme', 'k2'))).toEqual(encs([v(3)]));
  });

  it('is Reduce-merged with table data on read: a sibling joins, a dominated version disappears', async () => {
    const e = await openEngine();
    await e.write('acme', 'sib', v(10, 'c1'), { purpose: 'CLIENT' });
    await e.write('acme', 'dom', v(10, 'c1'), { purpose: 'CLIENT' });
    await e.flush();
    expect(e.stats().tables).toBe(1);
    // Concurrent with the table's version (other writer): siblings.
    await e.writeBlind('acme', 'sib', v(11, 'c2'), { purpose: 'STREAM' });
    // Same writer, older counter: dominated by the table's version, logged anyway (no read), gone after Reduce.
    await e.writeBlind('acme', 'dom', v(5, 'c1'), { purpose: 'STREAM' });
    expect(encs(await e.get('acme', 'sib'))).toEqual(encs([v(10, 'c1'), v(11, 'c2')]));
    expect(encs(await e.get('acme', 'dom'))).toEqual(encs([v(10, 'c1')]));
    // Still merged after the memtable is flushed to a second table.
    await e.flush();
    expect(e.stats().tables).toBe(2);
    expect(encs(await e.get('acme', 'dom'))).toEqual(encs([v(10, 'c1')]));
  });

  it('does not read tables, skips the DUPLICATE check, and still merges the write-id memory', async () => {
    const fs = new SpyFileSystem();
    const e = await engineOverTable(fs, { rowCacheBytes: 0 });
    const before = fs.sstReads;
    await e.writeBlind('acme', 'k3', v(30, 'c2'), { purpose: 'STREAM' });
    // A CLIENT blind write of an already stored write id is logged (no DUPLICATE check) ...
    await e.writeBlind('acme', 'k4', v(4), { purpose: 'CLIENT' });
    await e.writeBlind('acme', 'k5', v(50, 'c3', ''), { purpose: 'HINT', recentWrites: [{ writeId: Buffer.from('w-hinted'), timestampMs: Date.now() }] });
    expect(fs.sstReads).toBe(before);
    expect(e.stats().writesApplied).toBe(3);
    expect(e.stats().writesNoop).toBe(0);
    // ... while the read-first write of the same key does read the table (the spy works) and answers DUPLICATE.
    const dup = await e.write('acme', 'k4', v(4), { purpose: 'CLIENT' });
    expect(dup.outcome).toBe('DUPLICATE');
    expect(fs.sstReads).toBeGreaterThan(before);
    expect((await e.recentWrites('acme', 'k5')).map((w) => w.writeId.toString())).toEqual(['w-c1-5', 'w-hinted']);
    expect((await e.recentWrites('acme', 'k3')).map((w) => w.writeId.toString())).toEqual(['w-c1-3']);
  });
});

describe('StorageEngine row cache', () => {
  it('fills on the first read and answers the second from the cache without reading the table', async () => {
    const fs = new SpyFileSystem();
    const e = await engineOverTable(fs);
    expect(e.stats().rowCacheHitRate).toBe(0);
    expect(encs(await e.get('acme', 'k7'))).toEqual(encs([v(7)]));
    expect(e.stats().rowCacheEntries).toBe(1);
    expect(e.stats().rowCacheBytes).toBeGreaterThan(0);
    const reads = fs.sstReads;
    const blockRate = e.stats().blockCacheHitRate;
    const again = await e.read('acme', 'k7');
    expect(encs(again.versions)).toEqual(encs([v(7)]));
    expect(again.wids.map((w) => w.writeId.toString())).toEqual(['w-c1-7']);
    expect(fs.sstReads).toBe(reads);
    expect(e.stats().blockCacheHitRate).toBe(blockRate); // the block cache was not even asked
    expect(e.stats().rowCacheHitRate).toBe(0.5);
    // Absent keys are cached too (empty set).
    expect(await e.get('acme', 'absent')).toEqual([]);
    expect(await e.get('acme', 'absent')).toEqual([]);
    expect(e.stats().rowCacheHitRate).toBe(0.5);
    expect(e.stats().rowCacheEntries).toBe(2);
  });

  it('keeps cached sets complete: client, blind and internal writes after caching are visible from the cache', async () => {
    const fs = new SpyFileSystem();
    const e = await engineOverTable(fs);
    await e.get('acme', 'k1');
    await e.get('acme', 'absent');
    const reads = fs.sstReads;
    // A superseding client write (clock includes the table's version).
    const next = ver({ writer: 'c1', ht: BASE + 100, clock: { c1: BASE + 1 }, value: '"new"', writeId: 'w-new' });
    await e.write('acme', 'k1', next, { purpose: 'CLIENT' });
    // A blind sibling and an internal write carrying write ids.
    await e.writeBlind('acme', 'k1', v(200, 'c9'), { purpose: 'STREAM' });
    await e.writeVersions('acme', 'absent', [v(300, 'c2')], { purpose: 'REPAIR', recentWrites: [{ writeId: Buffer.from('w-rep'), timestampMs: Date.now() }] });
    const hitsBefore = e.stats().rowCacheHitRate;
    const k1 = await e.read('acme', 'k1');
    expect(encs(k1.versions)).toEqual(encs([next, v(200, 'c9')]));
    expect(k1.wids.map((w) => w.writeId.toString()).sort()).toEqual(['w-c1-1', 'w-new']);
    const absent = await e.read('acme', 'absent');
    expect(encs(absent.versions)).toEqual(encs([v(300, 'c2')]));
    expect(absent.wids.map((w) => w.writeId.toString())).toEqual(['w-rep']);
    // Both answers were hits: the write path's own table reads aside, nothing read the table for them.
    expect(e.stats().rowCacheHitRate).toBeGreaterThan(hitsBefore);
    const readsAfterWrites = fs.sstReads;
    await e.get('acme', 'k1');
    expect(fs.sstReads).toBe(readsAfterWrites);
    expect(readsAfterWrites).toBeGreaterThanOrEqual(reads);
    // Same answers once everything is flushed and the cache is gone (restart): the cache never diverged.
    await closeEngine(e);
    const fresh = await openEngine({ rowCacheBytes: 0 });
    expect(encs(await fresh.get('acme', 'k1'))).toEqual(encs([next, v(200, 'c9')]));
    expect(encs(await fresh.get('acme', 'absent'))).toEqual(encs([v(300, 'c2')]));
  });

  it('does not fill an entry when a memtable switch happens while the table read is in flight', async () => {
    const fs = new SpyFileSystem();
    const e = await engineOverTable(fs);
    const release = fs.hold();
    const pending = e.get('acme', 'k2');
    await waitUntil(() => fs.heldReads > 0, 'a held table read');
    // A blind write to the key (no table read), then a memtable switch + flush, while the read waits on the table.
    const newer = ver({ writer: 'c1', ht: BASE + 500, clock: { c1: BASE + 2 }, value: '"newer"', writeId: 'w-newer' });
    await e.writeBlind('acme', 'k2', newer, { purpose: 'STREAM' });
    const flush = e.flush();
    await waitUntil(() => e.stats().immutableMemtableBytes > 0, 'the memtable switch');
    release();
    await flush;
    const first = await pending;
    // Whatever the read answered, it must not have cached it: the switch happened during it.
    expect(first.length).toBeGreaterThan(0);
    expect(e.stats().rowCacheEntries).toBe(0);
    // The next read misses, fills with the current set, and the one after hits.
    expect(encs(await e.get('acme', 'k2'))).toEqual(encs([newer]));
    expect(e.stats().rowCacheEntries).toBe(1);
    expect(encs(await e.get('acme', 'k2'))).toEqual(encs([newer]));
    expect(e.stats().rowCacheHitRate).toBeCloseTo(1 / 3);
  });

  it('capacity 0 disables it: every read misses and reads the table', async () => {
    const fs = new SpyFileSystem();
    const e = await engineOverTable(fs, { rowCacheBytes: 0, blockCacheBytes: 0 });
    await e.get('acme', 'k3');
    const reads = fs.sstReads;
    expect(encs(await e.get('acme', 'k3'))).toEqual(encs([v(3)]));
    expect(fs.sstReads).toBeGreaterThan(reads);
    expect(e.stats().rowCacheEntries).toBe(0);
    expect(e.stats().rowCacheBytes).toBe(0);
    expect(e.stats().rowCacheHitRate).toBe(0);
  });

  it('starts empty after a restart', async () => {
    const e = await openEngine();
    await e.write('acme', 'k', v(1), { purpose: 'CLIENT' });
    await e.get('acme', 'k');
    await e.get('acme', 'k');
    expect(e.stats().rowCacheEntries).toBe(1);
    expect(e.stats().rowCacheHitRate).toBe(0.5);
    await closeEngine(e);
    const again = await openEngine();
    expect(again.stats().rowCacheEntries).toBe(0);
    expect(again.stats().rowCacheHitRate).toBe(0);
    expect(encs(await again.get('acme', 'k'))).toEqual(encs([v(1)]));
    expect(again.stats().rowCacheHitRate).toBe(0);
  });
});
