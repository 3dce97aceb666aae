import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DISK_THRESHOLDS,
  DISK_HYSTERESIS,
  DISK_STATES,
  DiskGuard,
  type DiskState,
  type FsUsage,
  ThrottleBucket,
  diskStateLevel,
  diskThresholds,
  nextDiskState,
  usageOf,
  worstUsage,
} from '../../../src/core/engine/disk-guard.js';
import { ioError } from '../../../src/core/engine/file-system.js';
import { type Logger, silentLogger } from '../../../src/core/observability/logger.js';
import { waitUntil } from './helpers.js';
import { prng } from './sstable-helpers.js';

const T = DEFAULT_DISK_THRESHOLDS;

/** A statfs result with `ratio` of 1,000,000 blocks of 4 KiB used. */
function fsAt(ratio: number): FsUsage {
  const blocks = 1_000_000;
  return { bsize: 4096, blocks, bavail: Math.round(blocks * (1 - ratio)) };
}


/** A logger whose JSON lines land in `lines`. */
function capturingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log: Logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

describe('disk guard state machine (§9)', () => {
  it('enters the highest state whose threshold the usage reaches', () => {
    const cases: Array<[number, DiskState]> = [
      [0, 'ok'],
      [0.7999, 'ok'],
      [0.8, 'warn'],
      [0.8999, 'warn'],
      [0.9, 'throttle'],
      [0.9499, 'throttle'],
      [0.95, 'reject'],
      [1, 'reject'],
    ];
    for (const [usage, want] of cases) expect(nextDiskState('ok', usage, T), `usage ${usage}`).toBe(want);
  });

  it('leaves each state only 2 points under its threshold, falling to the highest state still held', () => {
    const cases: Array<[DiskState, number, DiskState]> = [
      ['warn', 0.79, 'warn'],
      ['warn', 0.781, 'warn'],
      ['warn', 0.779, 'ok'],
      ['throttle', 0.881, 'throttle'],
      ['throttle', 0.879, 'warn'],
      ['throttle', 0.781, 'warn'],
      ['throttle', 0.779, 'ok'],
      ['reject', 0.94, 'reject'],
      ['reject', 0.931, 'reject'],
      ['reject', 0.929, 'throttle'],
      ['reject', 0.879, 'warn'],
      ['reject', 0.5, 'ok'],
      // Rising is never delayed.
      ['warn', 0.9, 'throttle'],
      ['throttle', 0.95, 'reject'],
    ];
    for (const [prev, usage, want] of cases) expect(nextDiskState(prev, usage, T), `${prev} at ${usage}`).toBe(want);
  });

  it('uses configured thresholds, and rejects thresholds out of order or out of range', () => {
    const t = diskThresholds({ warn: 0.5, throttle: 0.6, reject: 0.7 });
    expect(nextDiskState('ok', 0.55, t)).toBe('warn');
    expect(nextDiskState('reject', 0.685, t)).toBe('reject');
    expect(nextDiskState('reject', 0.675, t)).toBe('throttle');
    expect(diskThresholds({ reject: 0.99 })).toEqual({ warn: 0.8, throttle: 0.9, reject: 0.99 });
    for (const bad of [{ warn: 0.95 }, { throttle: 0.97 }, { reject: 1.5 }, { warn: 0 }, { warn: Number.NaN }]) {
      expect(() => diskThresholds(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });

  it('random walks keep the invariants and never flap inside the hysteresis band (seeded)', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rnd = prng(seed);
      let state: DiskState = 'ok';
      let usage = rnd();
      for (let step = 0; step < 400; step++) {
        usage = Math.min(1, Math.max(0, usage + (rnd() - 0.5) * 0.06));
        const prev: DiskState = state;
        state = nextDiskState(prev, usage, T);
        const at = `seed ${seed} step ${step}: ${prev} → ${state} at ${usage}`;
        // Reaching a threshold always means at least that state …
        for (const s of DISK_STATES.slice(1)) if (usage >= T[s as 'warn']) expect(diskStateLevel(state), at).toBeGreaterThanOrEqual(diskStateLevel(s));
        // … and a state above ok is only held within 2 points of its threshold.
        if (state !== 'ok') expect(usage, at).toBeGreaterThanOrEqual(T[state as 'warn'] - DISK_HYSTERESIS - 1e-12);
        // A fall never passes through a state that would still hold.
        if (diskStateLevel(state) < diskStateLevel(prev)) expect(usage, at).toBeLessThan(T[prev as 'warn'] - DISK_HYSTERESIS);
      }
    }
  });

  it('does not flap for a usage wobbling one point around a threshold', () => {
    let state: DiskState = 'ok';
    const seen = new Set<DiskState>();
    for (let i = 0; i < 20; i++) {
      state = nextDiskState(state, i % 2 === 0 ? 0.905 : 0.895, T);
      seen.add(state);
    }
    expect([...seen]).toEqual(['throttle']);
  });
});

describe('usage of several file systems', () => {
  it('computes (blocks − bavail) / blocks and takes the worst', () => {
    expect(usageOf({ bsize: 4096, blocks: 100, bavail: 25 })).toEqual({ ratio: 0.75, usedBytes: 75 * 4096, capacityBytes: 100 * 4096 });
    // A pseudo file system without blocks counts as empty, not as NaN.
    expect(usageOf({ bsize: 4096, blocks: 0, bavail: 0 }).ratio).toBe(0);
    expect(worstUsage([fsAt(0.5), fsAt(0.92), fsAt(0.7)])!.ratio).toBeCloseTo(0.92, 9);
    expect(worstUsage([])).toBeUndefined();
  });
});

describe('ThrottleBucket', () => {
  it('books bytes into debt up to 1 s of the rate, answering the wait, and refuses beyond', () => {
    const b = new ThrottleBucket(1000, 0); // 1000 B/s, burst 100 B
    expect(b.burstBytes).toBe(100);
    expect(b.reserve(100, 0)).toBe(0);
    expect(b.reserve(500, 0)).toBe(500);
    expect(b.reserve(500, 0)).toBe(1000); // exactly 1 s: allowed
    expect(b.reserve(1, 0)).toBe(-1); // would wait 1.001 s
    expect(b.tokensAt(0)).toBe(-1000); // the refusal booked nothing
    expect(b.reserve(100, 600)).toBe(500); // 600 ms repaid 600 B of the debt
    expect(b.tokensAt(1_000_000)).toBe(100); // refills to the burst, no further
  });

  it('holds a long run to the rate', () => {
    const b = new ThrottleBucket(8 * 1024 * 1024, 0);
    let t = 0;
    let sent = 0;
    // Writers that sleep exactly the answered wait: after 10 s at most 10 s × rate + burst went through.
    while (t < 10_000) {
      const w = b.reserve(64 * 1024, t);
      expect(w).toBeGreaterThanOrEqual(0);
      t += w;
      sent += 64 * 1024;
    }
    expect(sent).toBeLessThanOrEqual(10.001 * 8 * 1024 * 1024 + b.burstBytes + 64 * 1024);
    expect(sent).toBeGreaterThanOrEqual(9.9 * 8 * 1024 * 1024);
  });
});

describe('DiskGuard', () => {
  const dataDir = '/data/node1';

  /** A statfs whose answer per path is set by the test; records the calls. */
  function fakeStatfs(initial: Record<string, number | 'ENOENT' | 'EIO'>) {
    const usage: Record<string, number | 'ENOENT' | 'EIO'> = { ...initial };
    const calls: string[] = [];
    let gate: Promise<void> | undefined;
    const statfs = async (path: string): Promise<FsUsage> => {
      calls.push(path);
      if (gate) await gate;
      const u = usage[path];
      if (u === undefined || u === 'ENOENT') throw ioError('ENOENT', 'statfs', path);
      if (u === 'EIO') throw ioError('EIO', 'statfs', path);
      return fsAt(u);
    };
    return {
      usage,
      calls,
      statfs,
      /** Holds every statfs until the returned function is called. */
      hold(): () => void {
        let release!: () => void;
        gate = new Promise<void>((r) => (release = r));
        return () => {
          gate = undefined;
          release();
        };
      },
    };
  }

  const all = (r: number) => ({ [dataDir]: r, [join(dataDir, 'commitlog')]: r, [join(dataDir, 'sst')]: r });

  it('statfs-es the data dir, commitlog/ and sst/ and lets the worst count (a missing subdirectory is skipped)', async () => {
    const f = fakeStatfs({ [dataDir]: 0.5, [join(dataDir, 'commitlog')]: 0.91, [join(dataDir, 'sst')]: 'ENOENT' });
    const g = new DiskGuard({ dataDir, logger: silentLogger(), statfs: f.statfs });
    expect(g.known).toBe(false);
    expect(await g.check()).toBe('throttle');
    expect(f.calls).toEqual([dataDir, join(dataDir, 'commitlog'), join(dataDir, 'sst')]);
    expect(g.usage.ratio).toBeCloseTo(0.91, 9);
    expect(g.known).toBe(true);
  });

  it('keeps the previous state when statfs fails, and logs it', async () => {
    const f = fakeStatfs(all(0.85));
    const { log, lines } = capturingLogger();
    const g = new DiskGuard({ dataDir, logger: log, statfs: f.statfs });
    expect(await g.check()).toBe('warn');
    Object.assign(f.usage, { [dataDir]: 'EIO', [join(dataDir, 'commitlog')]: 'EIO', [join(dataDir, 'sst')]: 'EIO' });
    expect(await g.check()).toBe('warn');
    expect(lines.filter((l) => String(l.msg).startsWith('disk guard: statfs failed'))).toHaveLength(3);
  });

  it('polls on its interval once started, and stops polling on stop()', async () => {
    const f = fakeStatfs(all(0.1));
    const g = new DiskGuard({ dataDir, logger: silentLogger(), statfs: f.statfs, pollIntervalMs: 5 });
    await g.start();
    expect(g.state).toBe('ok');
    Object.assign(f.usage, all(0.96));
    await waitUntil(() => g.state === 'reject', 'the poll to see 96 %');
    g.stop();
    await new Promise((r) => setImmediate(r)); // a check already started may finish
    const n = f.calls.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(f.calls.length).toBe(n);
  });

  it('runs a check asked for during another once more after it (later callers share that one)', async () => {
    const f = fakeStatfs(all(0.1));
    const g = new DiskGuard({ dataDir, logger: silentLogger(), statfs: f.statfs });
    const release = f.hold();
    const first = g.check();
    Object.assign(f.usage, all(0.85));
    const second = g.check();
    const third = g.check();
    expect(third).toBe(second);
    release();
    await first;
    expect(await second).toBe('warn');
    expect(f.calls).toHaveLength(6);
  });

  it('answers admission: reject refuses with DISK_FULL, throttle books bytes and refuses a wait over 1 s with DISK_THROTTLED', async () => {
    const f = fakeStatfs(all(0.96));
    let now = 0;
    const g = new DiskGuard({ dataDir, logger: silentLogger(), statfs: f.statfs, throttleBytesPerSec: 1000, now: () => now });
    await g.check();
    expect(() => g.assertWritable()).toThrow(expect.objectContaining({ code: 'DISK_FULL', outcome: 'not_applied' }));
    expect(g.rejections).toBe(1);
    Object.assign(f.usage, all(0.91));
    expect(await g.check()).toBe('throttle');
    expect(() => g.assertWritable()).not.toThrow();
    expect(g.throttle(100)).toBe(0);
    expect(g.throttle(1000)).toBe(1000);
    expect(() => g.throttle(1)).toThrow(expect.objectContaining({ code: 'DISK_THROTTLED' }));
    expect(g.rejections).toBe(2);
    now += 2000;
    expect(g.throttle(100)).toBe(0);
    Object.assign(f.usage, all(0.85));
    expect(await g.check()).toBe('warn');
    expect(g.throttle(1_000_000)).toBe(0); // no throttle outside `throttle`
  });

  it('ENOSPC (markFull) rejects at once; a statfs read after it decides again, one begun before it does not', async () => {
    const f = fakeStatfs(all(0.2));
    const g = new DiskGuard({ dataDir, logger: silentLogger(), statfs: f.statfs });
    await g.check();
    const release = f.hold();
    const stale = g.check();
    g.markFull('memtable flush');
    expect(g.state).toBe('reject');
    expect(() => g.assertWritable()).toThrow(expect.objectContaining({ code: 'DISK_FULL', message: expect.stringContaining('ENOSPC') }));
    release();
    expect(await stale).toBe('reject');
    expect(await g.check()).toBe('ok');
  });

  it('logs a rise at once, warn-or-worse once a minute while it lasts, and the way back', async () => {
    const f = fakeStatfs(all(0.85));
    let now = 1_000_000;
    const { log, lines } = capturingLogger();
    const g = new DiskGuard({ dataDir, logger: log, statfs: f.statfs, now: () => now });
    await g.check();
    await g.check();
    now += 30_000;
    await g.check();
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    expect(lines[0]).toMatchObject({ disk_state: 'warn', previous: 'ok', usage_percent: 85 });
    now += 30_000;
    await g.check();
    expect(lines.filter((l) => l.level === 40)).toHaveLength(2);
    Object.assign(f.usage, all(0.1));
    await g.check();
    expect(lines.at(-1)).toMatchObject({ level: 30, disk_state: 'ok', previous: 'warn' });
  });
});
