import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageEngine } from '../../../src/core/engine/engine.js';
import type { FileSystem } from '../../../src/core/engine/file-system.js';
import { silentLogger } from '../../../src/core/observability/logger.js';
import { counterOf } from '../../../src/core/model/vector-clock.js';
import { fastTempDir, seedFrom } from './fault-helpers.js';
import { ver } from './helpers.js';
import { PowerLossFileSystem } from './power-loss-fs.js';
import { prng } from './sstable-helpers.js';

/**
 * storage-engine.md §11.5 across the whole engine: a workload of writes, deletes, flushes (memtable switch, table
 * publish, EDIT, log trimming), rotations, background and full compactions and manifest rollovers runs on a
 * PowerLossFileSystem; the disk is "lost" just before its N-th mutating file-system call (N drawn per seed over the
 * workload's whole run, so every kind of step is hit), optionally keeping a random prefix of unsynced tails. The
 * image must open, hold every write acknowledged before the cut (a delete never undone), hold no orphan after a
 * second open, and its directory must hold exactly the manifest's tables.
 */

const SEEDS = Number(process.env.PAIRDB_POWERLOSS_SEEDS ?? 1000);
const MUTATING = ['open', 'write', 'fdatasync', 'fsync', 'fsyncDir', 'rename', 'unlink', 'truncate'] as const;
const KEYS = 40;

interface Ack {
  readonly counter: number;
  readonly tombstone: boolean;
}

/** Wraps a PowerLossFileSystem so a callback runs (synchronously) before each mutating call. */
function counting(fs: PowerLossFileSystem, before: (op: string) => void): FileSystem {
  return new Proxy(fs, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (!(MUTATING as readonly string[]).includes(prop as string)) return v.bind(target);
      return (...args: unknown[]) => {
        before(prop as string);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as unknown as FileSystem;
}

const tmp = fastTempDir('pairdb-powerloss-engine-');
afterAll(() => tmp.cleanup());

function engineOptions(dataDir: string, fs?: FileSystem) {
  return {
    dataDir,
    fs,
    logger: silentLogger(),
    memtableBytes: 4096,
    segmentBytes: 4096,
    rowCacheBytes: 0,
    compaction: { l0Trigger: 2, targetFileBytes: 4096, l1TargetBytes: 8192 },
    isPidAlive: () => false,
  };
}

/** One seed: run the workload, cut at call `cutAt`; returns the acks made before the cut (undefined if never cut). */
async function runSeed(seed: number, cutAt: number, dir: string): Promise<{ calls: number; image?: string; acked: Map<string, Ack> }> {
  const rnd = prng(seed);
  const dataDir = join(dir, 'data');
  const plfs = new PowerLossFileSystem(dataDir);
  let calls = 0;
  let image: string | undefined;
  const ackedAtCut = new Map<string, Ack>();
  const acked = new Map<string, Ack>();
  const fs = counting(plfs, () => {
    if (++calls === cutAt && !image) {
      image = join(dir, 'image');
      plfs.crashImage(image, rnd() < 0.5 ? prng(seed * 7 + 1) : undefined);
      for (const [k, a] of acked) ackedAtCut.set(k, a);
    }
  });
  const e = await StorageEngine.open(engineOptions(dataDir, fs));
  let counter = 0;
  const base = Date.now();
  try {
    for (let step = 0; step < 12; step++) {
      // A burst of concurrent writes (one group commit), then sometimes a flush or a full compaction.
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const key = `k${Math.floor(rnd() * KEYS)}`;
          const c = ++counter;
          const tombstone = rnd() < 0.2;
          // Wall-clock timestamps (a 1970 tombstone would be past gc_grace and purged); `c` orders versions.
          await e.writeBlind('t', key, ver({ writer: 'w', clock: { c }, ht: base * 1000 + c, tombstone, value: tombstone ? undefined : `"${key}@${c}${'x'.repeat(Math.floor(rnd() * 300))}"` }), {
            purpose: 'STREAM',
          });
          const prev = acked.get(key);
          if (!prev || prev.counter < c) acked.set(key, { counter: c, tombstone });
        }),
      );
      const r = rnd();
      if (r < 0.25) await e.flush();
      else if (r < 0.35) await e.compact();
    }
  } finally {
    await e.close().catch(() => undefined);
  }
  return { calls, image, acked: ackedAtCut };
}

describe('StorageEngine power loss at any file-system call (§11.5)', () => {
  it(`${SEEDS} seeds: the image opens, keeps every acked write and delete, no orphans, tables = manifest`, async () => {
    const seed0 = seedFrom('PAIRDB_POWERLOSS_SEED');
    // A dry run measures how many mutating calls the workload makes (the same for every seed within noise).
    const dry = await runSeed(seed0, -1, join(tmp.dir, 'dry'));
    rmSync(join(tmp.dir, 'dry'), { recursive: true, force: true });
    expect(dry.calls).toBeGreaterThan(50);
    const failures: string[] = [];
    for (let i = 0; i < SEEDS && failures.length < 5; i++) {
      const seed = seed0 + i;
      const dir = join(tmp.dir, `s${i}`);
      const cutAt = 1 + Math.floor(prng(seed * 31 + 7)() * dry.calls);
      const ctx = `seed ${seed} (PAIRDB_POWERLOSS_SEED=${seed0}, run ${i}), cut before call ${cutAt}`;
      let stage = 'workload';
      try {
        const run = await runSeed(seed, cutAt, dir);
        if (!run.image) continue; // this seed's run made fewer calls than the cut
        const opts = engineOptions(run.image);
        // What the crash left, for the failure message.
        const list = (sub: string) => {
          try {
            return readdirSync(join(run.image!, sub)).sort().join(',');
          } catch {
            return '-';
          }
        };
        stage = `first open of [${list('.')}] commitlog [${list('commitlog')}]`;
        let e = await StorageEngine.open({ ...opts, autoCompact: false });
        const problems: string[] = [];
        for (const [key, want] of run.acked) {
          const got = await e.get('t', key);
          const newest = got.reduce((m, v) => Math.max(m, counterOf(v.clock, 'c')), 0);
          if (newest < want.counter) problems.push(`${key}: newest counter ${newest} < acked ${want.counter}${want.tombstone ? ' (delete undone)' : ''}`);
        }
        await e.close();
        // A second open finds nothing to clean up, and the directory holds exactly the manifest's tables.
        stage = `second open (after the first: [${list('.')}] commitlog [${list('commitlog')}])`;
        e = await StorageEngine.open({ ...opts, autoCompact: false });
        const listed = [...e.manifestState.tables.values()].flat().map((t) => `${String(t.file).padStart(20, '0')}.sst`).sort();
        await e.close();
        const onDisk = readdirSync(join(run.image, 'sst')).sort();
        if (JSON.stringify(onDisk) !== JSON.stringify(listed)) problems.push(`sst/ ${JSON.stringify(onDisk)} ≠ manifest ${JSON.stringify(listed)}`);
        if (problems.length > 0) failures.push(`${ctx}: ${problems.slice(0, 3).join('; ')}`);
      } catch (err) {
        failures.push(`${ctx}, at ${stage}: ${(err as Error).message}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
