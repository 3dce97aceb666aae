import { describe, expect, it } from 'vitest';
import type { FsUsage } from '../../../src/core/engine/disk-guard.js';
import { FaultFileSystem } from '../../../src/core/engine/fault-file-system.js';
import { encodedVersionSize } from '../../../src/core/model/version-codec.js';
import { engineHarness } from './engine-harness.js';
import { ver, waitUntil } from './helpers.js';

/** The engine with the §9 disk guard, its usage set by an injected statfs. */
const harness = engineHarness('pairdb-engine-disk-');

/** A statfs reporting `disk.usage` for every path. */
function injectedDisk(usage: number) {
  const disk = {
    usage,
    statfs: async (_path: string): Promise<FsUsage> => ({ bsize: 4096, blocks: 100_000, bavail: Math.round(100_000 * (1 - disk.usage)) }),
  };
  return disk;
}

const FROZEN_MS = 1_700_000_000_000;
const value = (i: number) => Buffer.alloc(1000, 97 + (i % 26));

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'OK',
    (err: unknown) => String((err as { code?: string }).code),
  );
}

describe('StorageEngine disk guard (storage-engine.md §9)', () => {
  it('throttle: CLIENT writes are paced to the rate and fail DISK_THROTTLED past a 1 s wait; internal writes pass', async () => {
    const disk = injectedDisk(0.91);
    const rate = 10_000; // bytes/s; burst = rate / 10
    // A frozen clock: the bucket never refills, so which writes wait and which fail is exact.
    const e = await harness.open({ statfs: disk.statfs, diskThrottleBytesPerSec: rate, now: () => FROZEN_MS });
    expect(e.diskState).toBe('throttle');

    // Internal writes (hints, repair, streaming) are never throttled and book nothing.
    const hints = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => e.write('acme', `hint${i}`, ver({ value: value(i) }), { purpose: 'HINT' })),
    );
    expect(hints.filter((r) => r.status === 'rejected')).toEqual([]);
    await e.writeBlind('acme', 'stream', ver({ value: value(0) }), { purpose: 'STREAM' });

    // CLIENT writes book ckey + encoded version bytes; write k (1-based) waits (k × size − burst) / rate.
    const versions = Array.from({ length: 16 }, (_, i) => ver({ ht: 1_700_000_000_000_000 + i, value: value(i) }));
    const size = Buffer.byteLength('acme') + 1 + Buffer.byteLength('c00') + encodedVersionSize(versions[0]!);
    const waitMs = (k: number) => ((k * size - rate / 10) / rate) * 1000;
    const admitted = versions.filter((_, i) => waitMs(i + 1) <= 1000).length;
    expect(admitted).toBeGreaterThan(3);
    expect(admitted).toBeLessThan(versions.length);

    const started = performance.now();
    const settled = versions.map((v, i) =>
      e.write('acme', `c${String(i).padStart(2, '0')}`, v, { purpose: 'CLIENT' }).then(
        () => ({ i, code: 'OK', ms: performance.now() - started }),
        (err: unknown) => ({ i, code: String((err as { code?: string }).code), ms: performance.now() - started }),
      ),
    );
    const results = await Promise.all(settled);
    expect(results.map((r) => r.code)).toEqual(versions.map((_, i) => (i < admitted ? 'OK' : 'DISK_THROTTLED')));
    // Slowed, not just counted: a write booked for a long wait was held about that long. (A floor only, with slack:
    // a timer counts from the event loop's cached time, which may be a little older than the call.)
    const long = results.slice(0, admitted).filter((r) => waitMs(r.i + 1) >= 300);
    expect(long.length).toBeGreaterThan(0);
    for (const r of long) expect(r.ms, `write ${r.i}`).toBeGreaterThanOrEqual(waitMs(r.i + 1) - 100);
    const s = e.stats();
    expect(s.diskRejections).toBe(versions.length - admitted);
    expect(s.writesRejected).toBe(versions.length - admitted);
    expect((await e.get('acme', 'c00')).length).toBe(1);
    expect(await e.get('acme', `c${versions.length - 1}`)).toEqual([]);
  });

  it('reject: every write fails DISK_FULL while reads and flushes go on; the state eases with hysteresis', async () => {
    const disk = injectedDisk(0.5);
    const e = await harness.open({ statfs: disk.statfs });
    expect(e.diskState).toBe('ok');
    await e.write('acme', 'a', ver({ value: '"a"' }), { purpose: 'CLIENT' });
    await e.write('acme', 'b', ver({ value: '"b"' }), { purpose: 'CLIENT' });

    disk.usage = 0.96;
    expect(await e.checkDisk()).toBe('reject');
    expect(e.stats()).toMatchObject({ diskState: 'reject', diskUsageKnown: true });
    expect(e.stats().diskUsageRatio).toBeCloseTo(0.96, 6);
    for (const purpose of ['CLIENT', 'HINT', 'READ_REPAIR', 'REPAIR', 'STREAM'] as const) {
      expect(await codeOf(e.write('acme', 'c', ver({}), { purpose })), purpose).toBe('DISK_FULL');
    }
    expect(await codeOf(e.writeBlind('acme', 'c', ver({}), { purpose: 'STREAM' }))).toBe('DISK_FULL');
    expect(e.stats().diskRejections).toBe(6);

    expect((await e.get('acme', 'a')).map((v) => v.value.toString())).toEqual(['"a"']);
    await e.flush();
    expect(e.manifestState.tables.get(0)).toHaveLength(1);
    expect(e.stats().memtableBytes).toBe(0);
    expect((await e.get('acme', 'b')).map((v) => v.value.toString())).toEqual(['"b"']);
    expect(await e.get('acme', 'c')).toEqual([]);

    disk.usage = 0.935; // under 95 % but within 2 points: still reject
    expect(await e.checkDisk()).toBe('reject');
    disk.usage = 0.92;
    expect(await e.checkDisk()).toBe('throttle');
    disk.usage = 0.5;
    expect(await e.checkDisk()).toBe('ok');
    expect((await e.write('acme', 'c', ver({}), { purpose: 'CLIENT' })).outcome).toBe('APPLIED');
  });

  it('warn only reports: writes of every purpose go on', async () => {
    const disk = injectedDisk(0.85);
    const e = await harness.open({ statfs: disk.statfs, diskThrottleBytesPerSec: 1 });
    expect(e.diskState).toBe('warn');
    expect((await e.write('acme', 'k', ver({ value: value(1) }), { purpose: 'CLIENT' })).outcome).toBe('APPLIED');
  });

  it('ENOSPC on a flush sets reject; the flush retries, and the check after it lifts reject once space is back', async () => {
    const fs = new FaultFileSystem();
    const disk = injectedDisk(0.3);
    const e = await harness.open({ fs, statfs: disk.statfs });
    await e.write('acme', 'a', ver({ value: '"a"' }), { purpose: 'CLIENT' });
    fs.enospcAfter(0);
    const flushed = e.flush();
    await waitUntil(() => e.diskState === 'reject', 'reject after ENOSPC');
    expect(await codeOf(e.write('acme', 'b', ver({}), { purpose: 'HINT' }))).toBe('DISK_FULL');
    // The unflushed memtable stays readable.
    expect((await e.get('acme', 'a')).map((v) => v.value.toString())).toEqual(['"a"']);
    fs.clearFaults();
    await flushed;
    expect(e.manifestState.tables.get(0)).toHaveLength(1);
    await waitUntil(() => e.diskState === 'ok', 'the post-flush check to lift reject');
    expect((await e.write('acme', 'b', ver({}), { purpose: 'CLIENT' })).outcome).toBe('APPLIED');
  });

  it('checks statfs at open (no write is admitted on a full disk) and refuses bad thresholds', async () => {
    const disk = injectedDisk(0.99);
    const e = await harness.open({ statfs: disk.statfs });
    expect(await codeOf(e.write('acme', 'k', ver({}), { purpose: 'CLIENT' }))).toBe('DISK_FULL');
    await harness.close(e);
    await expect(harness.open({ diskThresholds: { warn: 0.9, throttle: 0.8 } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
