import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommitLog } from '../../../src/core/engine/commit-log.js';
import { parseSegmentFileName } from '../../../src/core/engine/commit-log-format.js';
import { StorageEngine } from '../../../src/core/engine/engine.js';
import { NodeFileSystem, type OpenFlags } from '../../../src/core/engine/file-system.js';
import { PairdbError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/observability/logger.js';
import { encs, ver, waitUntil } from './helpers.js';
import { engineHarness } from './engine-harness.js';
import { ForwardingFileSystem } from './forwarding-fs.js';

/**
 * Flush + manifest wired into the engine (storage-engine.md §3, §5, §7): tables written by flushes, log trimming,
 * crash points of the flush, reads merging memtables and tables, DataLoss on a bad block, write stalls.
 */

const harness = engineHarness('pairdb-flush-');
const openEngine = harness.open;

function segmentsIn(dataDir: string): number[] {
  return readdirSync(join(dataDir, 'commitlog'))
    .map(parseSegmentFileName)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
}

function tablesIn(dataDir: string): string[] {
  return readdirSync(join(dataDir, 'sst')).filter((n) => n.endsWith('.sst'));
}

const BASE = Date.now() * 1000;
const v = (i: number, writer = 'c1'): ReturnType<typeof ver> => ver({ writer, ht: BASE + i, value: `"v${i}"`, writeId: `w-${writer}-${i}` });

/**
 * node:fs with a gate: `hold(pred)` makes matching open/write/unlink/rename calls wait until released (a crash
 * "now" is then a copy of the directory: every earlier call reached the disk, none of the held ones did).
 */
class GatedFileSystem extends ForwardingFileSystem {
  #pred: ((op: string, path: string) => boolean) | undefined;
  #waiters: Array<() => void> = [];
  held = 0;

  hold(pred: (op: string, path: string) => boolean): () => void {
    this.#pred = pred;
    return () => {
      this.#pred = undefined;
      for (const w of this.#waiters.splice(0)) w();
    };
  }

  async #gate(op: string, path: string | undefined): Promise<void> {
    if (path === undefined || !this.#pred?.(op, path)) return;
    this.held++;
    await new Promise<void>((r) => this.#waiters.push(r));
  }

  override async open(path: string, flags: OpenFlags): Promise<number> {
    await this.#gate('open', path);
    return super.open(path, flags);
  }
  override async write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    await this.#gate('write', this.pathOf(fd));
    return super.write(fd, buffer, offset, length, position);
  }
  override async rename(from: string, to: string): Promise<void> {
    await this.#gate('rename', to);
    return super.rename(from, to);
  }
  override async unlink(path: string): Promise<void> {
    await this.#gate('unlink', path);
    return super.unlink(path);
  }
}

describe('StorageEngine flush', () => {
  it('flushes to an L0 table, trims the log, and after a restart reads everything from tables', async () => {
    let e = await openEngine();
    for (let i = 0; i < 50; i++) await e.write('acme', `k${i}`, v(i), { purpose: 'CLIENT' });
    const segsBefore = segmentsIn(harness.dir);
    await e.flush();
    const st = e.manifestState;
    expect(st.tables.get(0)).toHaveLength(1);
    expect(st.tables.get(0)![0]!.keys).toBe(50);
    // Every segment below log_start is gone; the one opened at the switch is not.
    expect(segmentsIn(harness.dir).every((n) => n >= st.logStart)).toBe(true);
    expect(segmentsIn(harness.dir)).toContain(st.logStart);
    expect(segsBefore.every((n) => n < st.logStart)).toBe(true);
    expect(tablesIn(harness.dir)).toHaveLength(1);
    expect(e.stats().flushes).toBe(1);
    // Reads now come from the table.
    expect(encs(await e.get('acme', 'k7'))).toEqual(encs([v(7)]));

    await e.close();
    e = await openEngine({ flushOnShutdown: false });
    expect(e.replayReport.writes).toBe(0);
    expect(e.entries()[Symbol.iterator]().next().done).toBe(true);
    for (let i = 0; i < 50; i++) expect(encs(await e.get('acme', `k${i}`))).toEqual(encs([v(i)]));
    expect((await e.recentWrites('acme', 'k3')).map((x) => x.writeId.toString())).toEqual(['w-c1-3']);
    expect(e.stats().tables).toBe(1);
  });

  it('merges memtables and tables on read: a sibling in an older table is still returned', async () => {
    const e = await openEngine();
    const a = v(1, 'c1');
    const b = v(2, 'c2');
    const c = v(3, 'c3');
    await e.write('acme', 'k', a, { purpose: 'CLIENT' });
    await e.flush();
    await e.write('acme', 'k', b, { purpose: 'CLIENT' });
    await e.flush();
    const res = await e.write('acme', 'k', c, { purpose: 'CLIENT' });
    expect(e.manifestState.tables.get(0)).toHaveLength(2);
    expect(encs(res.current)).toEqual(encs([a, b, c]));
    expect(encs(await e.get('acme', 'k'))).toEqual(encs([a, b, c]));
    // A version superseding all three replaces them in the result, though the tables still hold the old ones.
    const d = ver({ writer: 'c1', ht: BASE + 10, clock: { c2: BASE + 2, c3: BASE + 3 }, value: '"d"', writeId: 'wd' });
    const r2 = await e.write('acme', 'k', d, { purpose: 'CLIENT' });
    expect(r2.outcome).toBe('APPLIED');
    expect(encs(await e.get('acme', 'k'))).toEqual(encs([d]));
  });

  it('sees table data in the no-op and DUPLICATE checks of the write path', async () => {
    const e = await openEngine();
    const a = v(1);
    await e.write('acme', 'k', a, { purpose: 'CLIENT' });
    await e.flush();
    // The same write id again: remembered by the table's write-id memory.
    const dup = await e.write('acme', 'k', ver({ writer: 'c9', ht: BASE + 99, writeId: 'w-c1-1' }), { purpose: 'CLIENT' });
    expect(dup.outcome).toBe('DUPLICATE');
    // A dominated version (older clock, no write id) is a no-op.
    const old = ver({ writer: 'c1', ht: BASE, value: '"old"' });
    const noop = await e.write('acme', 'k', old, { purpose: 'REPAIR' });
    expect(noop.outcome).toBe('DOMINATED');
    expect(encs(noop.current)).toEqual(encs([a]));
    expect(e.stats().commitlogWrites).toBe(1);
  });

  it('flushes on its own past --memtable-size and loses nothing across a restart', async () => {
    // Background compaction off: this test counts the L0 tables the flushes made.
    let e = await openEngine({ memtableBytes: 8 * 1024, autoCompact: false });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 600; i++) {
      writes.push(e.write('acme', `key-${String(i).padStart(4, '0')}`, v(i), { purpose: 'CLIENT' }));
      if (i % 20 === 19) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    await waitUntil(() => e.stats().immutableMemtableBytes === 0, 'flush to finish');
    expect(e.stats().flushes).toBeGreaterThan(2);
    expect(e.stats().l0Tables).toBe(e.stats().flushes);
    for (let i = 0; i < 600; i += 37) expect(encs(await e.get('acme', `key-${String(i).padStart(4, '0')}`))).toEqual(encs([v(i)]));
    await e.close();
    e = await openEngine({ memtableBytes: 8 * 1024, autoCompact: false });
    for (let i = 0; i < 600; i++) {
      expect(await e.get('acme', `key-${String(i).padStart(4, '0')}`)).toHaveLength(1);
    }
  });

  it('flushes a replayed memtable past the threshold right after open', async () => {
    let e = await openEngine({ flushOnShutdown: false });
    for (let i = 0; i < 100; i++) await e.write('acme', `k${i}`, v(i), { purpose: 'CLIENT' });
    await e.close();
    e = await openEngine({ memtableBytes: 4 * 1024 });
    expect(e.replayReport.writes).toBe(100);
    await waitUntil(() => e.stats().flushes === 1, 'flush after open');
    expect(e.stats().l0Tables).toBe(1);
    // Segments below log_start are unlinked right after the EDIT.
    await waitUntil(() => segmentsIn(harness.dir).every((n) => n >= e.manifestState.logStart), 'segment trim');
    for (let i = 0; i < 100; i += 9) expect(encs(await e.get('acme', `k${i}`))).toEqual(encs([v(i)]));
  });

  it('answers CHECKSUM_MISMATCH (never data) when a table data block is corrupted', async () => {
    let e = await openEngine();
    for (let i = 0; i < 20; i++) await e.write('acme', `k${i}`, v(i), { purpose: 'CLIENT' });
    await e.flush();
    await e.close();
    const [name] = tablesIn(harness.dir);
    const path = join(harness.dir, 'sst', name!);
    const buf = readFileSync(path);
    buf[20] = buf[20]! ^ 0xff; // inside the first data block
    writeFileSync(path, buf);
    e = await openEngine();
    const err = await e.get('acme', 'k3').then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(PairdbError);
    expect((err as PairdbError).code).toBe('CHECKSUM_MISMATCH');
    expect(e.stats().checksumFailures).toBe(1);
    // The write path reads the table too: it fails rather than answer from partial data.
    await expect(e.write('acme', 'k3', v(100), { purpose: 'CLIENT' })).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
  });

  it('adopts a data dir from before manifests (segments, no CURRENT) and numbers new files above it', async () => {
    const logDir = join(harness.dir, 'commitlog');
    const { log } = await CommitLog.open({ dir: logDir, fs: new NodeFileSystem(), logger: silentLogger(), segmentBytes: 200, apply: () => undefined, onFatal: () => undefined });
    for (let i = 0; i < 10; i++) await log.append([{ tenantId: 'acme', key: `k${i}`, version: v(i), wids: [] }]);
    await log.close();
    const old = segmentsIn(harness.dir);
    expect(old.length).toBeGreaterThan(2);
    expect(existsSync(join(harness.dir, 'CURRENT'))).toBe(false);

    const e = await openEngine();
    expect(e.manifestState.logStart).toBe(old[0]);
    expect(e.replayReport.writes).toBe(10);
    for (let i = 0; i < 10; i++) expect(encs(await e.get('acme', `k${i}`))).toEqual(encs([v(i)]));
    // The new segment takes its number from the manifest's counter, above every old one.
    expect(Math.max(...segmentsIn(harness.dir))).toBeGreaterThan(Math.max(...old));
    await e.flush();
    expect(e.manifestState.tables.get(0)![0]!.file).toBeGreaterThan(Math.max(...old));
    expect(segmentsIn(harness.dir).some((n) => old.includes(n))).toBe(false);
  });

  it('a crash between table publish and EDIT leaves an orphan the next start deletes, and loses nothing', async () => {
    const fs = new GatedFileSystem();
    const e = await openEngine({ fs, flushOnShutdown: false });
    for (let i = 0; i < 30; i++) await e.write('acme', `k${i}`, v(i), { purpose: 'CLIENT' });
    // Hold the manifest append: the table is published (renamed into sst/), the EDIT never reaches the disk.
    const release = fs.hold((op, path) => op === 'write' && /MANIFEST-\d+$/.test(path));
    const flushing = e.flush();
    await waitUntil(() => fs.held > 0, 'manifest append');
    expect(tablesIn(harness.dir)).toHaveLength(1);
    const image = join(harness.dir, '..', `${harness.dir.split('/').pop()}-image`);
    cpSync(harness.dir, image, { recursive: true });
    release();
    await flushing;

    try {
      const again = await StorageEngine.open({ dataDir: image, logger: silentLogger(), isPidAlive: () => false, flushOnShutdown: false });
      try {
        expect(tablesIn(image)).toHaveLength(0); // the orphan is gone
        expect(again.manifestState.tables.size).toBe(0);
        expect(again.replayReport.writes).toBe(30);
        for (let i = 0; i < 30; i++) expect(encs(await again.get('acme', `k${i}`))).toEqual(encs([v(i)]));
      } finally {
        await again.close();
      }
    } finally {
      tempCleanup(image);
    }
  });

  it('a crash after the EDIT, before segment deletion, replays only segments ≥ log_start', async () => {
    const fs = new GatedFileSystem();
    const e = await openEngine({ fs, flushOnShutdown: false });
    for (let i = 0; i < 30; i++) await e.write('acme', `k${i}`, v(i), { purpose: 'CLIENT' });
    const release = fs.hold((op, path) => op === 'unlink' && path.includes('commitlog-'));
    const flushing = e.flush();
    await waitUntil(() => fs.held > 0, 'segment unlink');
    expect(e.manifestState.tables.get(0)).toHaveLength(1);
    // One more write after the switch: it lives in the segment at log_start.
    const extra = ver({ writer: 'c2', ht: BASE + 500, value: '"late"', writeId: 'late' });
    const written = e.write('acme', 'k0', extra, { purpose: 'CLIENT' });
    await written;
    const image = join(harness.dir, '..', `${harness.dir.split('/').pop()}-image2`);
    cpSync(harness.dir, image, { recursive: true });
    const logStart = e.manifestState.logStart;
    expect(segmentsIn(image).some((n) => n < logStart)).toBe(true);
    release();
    await flushing;

    try {
      const again = await StorageEngine.open({ dataDir: image, logger: silentLogger(), isPidAlive: () => false, flushOnShutdown: false });
      try {
        expect(segmentsIn(image).every((n) => n >= logStart)).toBe(true);
        expect(again.replayReport.writes).toBe(1); // only the write after the switch
        expect(encs(await again.get('acme', 'k0'))).toEqual(encs([v(0), extra]));
        for (let i = 1; i < 30; i++) expect(encs(await again.get('acme', `k${i}`))).toEqual(encs([v(i)]));
      } finally {
        await again.close();
      }
    } finally {
      tempCleanup(image);
    }
  });

  it('stalls writes while a second flush would be needed: released when the flush commits, SERVICE_UNAVAILABLE after the timeout', async () => {
    const fs = new GatedFileSystem();
    const e = await openEngine({ fs, memtableBytes: 4 * 1024, writeStallTimeoutMs: 300, flushOnShutdown: false });
    // Hold every table write: the first flush cannot finish.
    const release = fs.hold((op, path) => op === 'open' && path.endsWith('.sst.tmp'));
    let i = 0;
    while (e.stats().immutableMemtableBytes === 0) await e.write('acme', `a${i}`, v(i++), { purpose: 'CLIENT' });
    while (e.stats().memtableBytes - e.stats().immutableMemtableBytes < 4 * 1024) await e.write('acme', `b${i}`, v(i++), { purpose: 'CLIENT' });
    // Active full, immutable still flushing: the next write waits, then fails.
    await expect(e.write('acme', 'late', v(9999), { purpose: 'CLIENT' })).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(await e.get('acme', 'late')).toEqual([]);
    // A stalled write goes through once the flush commits.
    const waiting = e.write('acme', 'later', v(10000), { purpose: 'CLIENT' });
    let done = false;
    void waiting.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    release();
    expect((await waiting).outcome).toBe('APPLIED');
    expect(e.stats().writeStalls).toBeGreaterThanOrEqual(2);
    expect(await e.get('acme', 'later')).toHaveLength(1);
  });
});

function tempCleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
