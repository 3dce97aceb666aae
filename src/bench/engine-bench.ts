import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dirBytes } from './disk-usage.js';
import { parseArgs } from 'node:util';
import * as hdr from 'hdr-histogram-js';
import { StorageEngine } from '../core/engine/engine.js';
import { silentLogger } from '../core/observability/logger.js';
import type { Version } from '../core/model/version.js';

/**
 * `npm run bench:engine` (storage-engine.md §12): the pairDB engine against classic-level (LevelDB), each workload
 * in a fresh child process per engine on the same file system, alternating which engine goes first, repeated, and
 * reported as medians and ratios pairDB ÷ classic-level.
 *
 * Workloads so far: sync and no-sync writes (fill sequential, fill random, overwrite random) at 1, 16 and 64
 * writers, then uniform and hot (Zipf 0.99) reads after reopen. Compaction and its workloads join when the engine
 * has SSTables (issue 3). Defaults are sized for a quick run; `--keys 1000000 --max-seconds 60 --reps 3` is the
 * spec's size.
 */

type EngineName = 'pairdb' | 'classic-level';
type Workload = 'fillseq' | 'fillrandom' | 'overwrite' | 'readuniform' | 'readhot' | 'compaction';

interface WorkerConfig {
  engine: EngineName;
  workload: Workload;
  sync: boolean;
  writers: number;
  keys: number;
  valueSize: number;
  maxSeconds: number;
  seed: number;
  dir: string;
}

interface WorkerResult {
  ops: number;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  peakRssMiB: number;
  diskBytes: number;
  /** Bytes the process passed to write(2) during the measured phase ÷ user bytes written (key + value). */
  writeAmp: number | null;
}

/** wchar of /proc/self/io: bytes this process passed to write-family syscalls (Linux; 0 elsewhere). */
function bytesWrittenBySelf(): number {
  try {
    const m = /wchar:\s+(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const TENANT = 'bench';

function keyOf(i: number): string {
  return `k${String(i).padStart(16, '0')}`;
}

/** A seeded permutation of 0..n-1 (affine map with a multiplier coprime to n). */
function permutation(n: number, seed: number): (i: number) => number {
  let a = (seed * 2654435761) % n || 1;
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  while (gcd(a, n) !== 1) a = (a + 1) % n || 1;
  const c = (seed * 40503) % n;
  return (i) => Number((BigInt(i) * BigInt(a) + BigInt(c)) % BigInt(n));
}

/** Seeded xorshift32, for values and Zipf draws. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

/** Zipf(s) over 0..n-1 by inverse CDF on a precomputed table (rank 0 hottest), scattered by a permutation. */
function zipf(n: number, s: number, random: () => number, scatter: (i: number) => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / Math.pow(i + 1, s);
    cdf[i] = sum;
  }
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return scatter(lo);
  };
}


interface BenchStore {
  put(i: number, value: Buffer): Promise<void>;
  get(i: number): Promise<unknown>;
  /** Full compaction: pairDB `compact()` (the Compact RPC), classic-level `compactRange` over the bench keys. */
  compact(): Promise<void>;
  close(): Promise<void>;
}

async function openStore(cfg: WorkerConfig): Promise<BenchStore> {
  if (cfg.engine === 'pairdb') {
    // §12 equal cache budgets: 48 MiB block cache + 16 MiB row cache against classic-level's 64 MiB cacheSize.
    const engine = await StorageEngine.open({
      dataDir: cfg.dir,
      logger: silentLogger(),
      commitlogSync: cfg.sync ? 'batch' : 'periodic',
      blockCacheBytes: 48 * 1024 * 1024,
      rowCacheBytes: 16 * 1024 * 1024,
    });
    let counter = Date.now() * 1000;
    return {
      put: async (i, value) => {
        // A one-entry clock and writeBlind (no read before the append), as the spec's benchmark fixes (§3, §12).
        const ht = ++counter;
        const v: Version = { clock: [{ actor: 'c1', counter: ht }], value, tombstone: false, lww: true, timestampMs: Math.floor(ht / 1000), writerId: 'c1', writeId: Buffer.alloc(0) };
        await engine.writeBlind(TENANT, keyOf(i), v, { purpose: 'STREAM' });
      },
      get: (i) => engine.get(TENANT, keyOf(i)),
      compact: async () => {
        await engine.compact();
      },
      close: () => engine.close(),
    };
  }
  const { ClassicLevel } = await import('classic-level');
  const db = new ClassicLevel<Buffer, Buffer>(cfg.dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', cacheSize: 64 * 1024 * 1024 });
  await db.open();
  const ckey = (i: number): Buffer => Buffer.from(`${TENANT}\u0000${keyOf(i)}`, 'utf8');
  return {
    put: (i, value) => db.put(ckey(i), value, { sync: cfg.sync }),
    get: (i) => db.get(ckey(i)),
    compact: () => db.compactRange(Buffer.from(`${TENANT}\u0000`, 'utf8'), Buffer.from(`${TENANT}\u0001`, 'utf8')),
    close: () => db.close(),
  };
}

async function worker(cfg: WorkerConfig): Promise<WorkerResult> {
  const random = rng(cfg.seed);
  // §12 incompressible values: every write takes its own slice of a 16 MiB seeded random pool at a pseudo-random
  // offset (a few dozen reused values would let classic-level's Snappy compress repeats within a block).
  const pool = Buffer.allocUnsafe(16 * 1024 * 1024);
  for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE(Math.floor(random() * 0x100000000), i);
  const span = pool.length - cfg.valueSize;
  const valueOf = (n: number): Buffer => {
    const at = Number((BigInt(n + 1) * 2654435761n) % BigInt(span));
    // A copy, as a value arriving over the network is its own buffer (a view would keep the engine's memory low).
    return Buffer.from(pool.subarray(at, at + cfg.valueSize));
  };
  const perm = permutation(cfg.keys, cfg.seed);
  const reads = cfg.workload === 'readuniform' || cfg.workload === 'readhot';
  const preloadRounds = cfg.workload === 'compaction' ? 2 : reads || cfg.workload === 'overwrite' ? 1 : 0;
  if (preloadRounds > 0) {
    // Preload every key (twice for the compaction workload, so half of what it merges is overwritten); reads then
    // run after a full compaction and a reopen (§12), so they start from what is on disk.
    const pre = await openStore({ ...cfg, sync: false });
    for (let round = 0; round < preloadRounds; round++) {
      for (let i = 0; i < cfg.keys; i += 256) {
        const batch: Promise<void>[] = [];
        for (let j = i; j < Math.min(cfg.keys, i + 256); j++) batch.push(pre.put(perm(j), valueOf(j + round * cfg.keys)));
        await Promise.all(batch);
      }
    }
    if (reads) await pre.compact();
    await pre.close();
  }
  const store = await openStore(cfg);
  // The compaction workload measures writes (16 writers, no-sync overwrites) while a full compaction runs.
  let compacting: Promise<void> | undefined;
  let compactionDone = false;
  if (cfg.workload === 'compaction') {
    compacting = store.compact().finally(() => {
      compactionDone = true;
    });
  }
  const wcharBefore = bytesWrittenBySelf();
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const hot = zipf(cfg.keys, 0.99, random, perm);
  const target = cfg.keys;
  let next = 0;
  let peakRss = process.memoryUsage().rss;
  const started = performance.now();
  const endAt = started + cfg.maxSeconds * 1000;
  const one = async (): Promise<void> => {
    while (next < target && performance.now() < endAt && !compactionDone) {
      const n = next++;
      const t0 = performance.now();
      if (cfg.workload === 'fillseq') await store.put(n, valueOf(n));
      else if (cfg.workload === 'fillrandom' || cfg.workload === 'overwrite' || cfg.workload === 'compaction') await store.put(perm(n), valueOf(n + 2 * cfg.keys));
      else if (cfg.workload === 'readuniform') await store.get(perm(n));
      else await store.get(hot());
      histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      if ((n & 4095) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  };
  await Promise.all(Array.from({ length: cfg.writers }, one));
  const seconds = (performance.now() - started) / 1000;
  const wrote = bytesWrittenBySelf() - wcharBefore;
  if (compacting) {
    await compacting;
    // Disk bytes are taken after a second full compaction, which also folds in the writes made during the first.
    await store.compact();
  }
  await store.close();
  const userBytes = next * (TENANT.length + 1 + keyOf(0).length + cfg.valueSize);
  const result: WorkerResult = {
    ops: next,
    opsPerSec: next / seconds,
    p50Us: histogram.getValueAtPercentile(50),
    p99Us: histogram.getValueAtPercentile(99),
    p999Us: histogram.getValueAtPercentile(99.9),
    peakRssMiB: Math.round(Math.max(peakRss, process.memoryUsage().rss) / 1048576),
    diskBytes: dirBytes(cfg.dir),
    writeAmp: reads || next === 0 || wrote === 0 ? null : wrote / userBytes,
  };
  histogram.destroy();
  return result;
}

function runWorker(cfg: WorkerConfig): WorkerResult {
  const self = fileURLToPath(import.meta.url);
  const res = spawnSync(process.execPath, [self, '--worker', JSON.stringify(cfg)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`${cfg.engine} ${cfg.workload} failed: ${res.stderr || res.stdout}`);
  return JSON.parse(res.stdout.trim().split('\n').pop()!) as WorkerResult;
}

/** The §12 target for a workload row (ratio pairDB ÷ classic-level). */
function targetOf(name: string): string {
  if (name.startsWith('writes during compaction')) return 'p99≤2 disk≤1.2';
  if (name.startsWith('readuniform')) return '≥1.0 p99≤2';
  if (name.startsWith('readhot')) return '≥2.0';
  if (name.includes('nosync')) return '≥1.0';
  if (name.endsWith('w=1')) return '≥0.8';
  if (name.endsWith('w=16')) return '≥2.0';
  if (name.endsWith('w=64')) return '≥3.0';
  return '';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      worker: { type: 'string' },
      keys: { type: 'string', default: '100000' },
      'value-size': { type: 'string', default: '100' },
      'max-seconds': { type: 'string', default: '10' },
      reps: { type: 'string', default: '1' },
      writers: { type: 'string', default: '1,16,64' },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
      // §12: the ratios of this run are recorded here; a ratio more than 10 % below the recorded one fails the run.
      record: { type: 'string', default: 'bench-results/engine-ratios.json' },
      'no-record': { type: 'boolean', default: false },
    },
  });
  if (values.worker) {
    process.stdout.write(`${JSON.stringify(await worker(JSON.parse(values.worker) as WorkerConfig))}\n`);
    return;
  }
  const keys = Number(values.keys);
  const reps = Number(values.reps);
  const writerCounts = values.writers!.split(',').map(Number);
  const plan: Array<{ name: string; workload: Workload; sync: boolean; writers: number; keys: number }> = [];
  for (const sync of [true, false]) {
    for (const workload of ['fillseq', 'fillrandom', 'overwrite'] as const) {
      for (const writers of writerCounts) {
        // Sync writes at one writer are bounded by the disk's fsync rate: cap their count.
        plan.push({ name: `${workload} ${sync ? 'sync' : 'nosync'} w=${writers}`, workload, sync, writers, keys: sync && writers === 1 ? Math.min(keys, 20_000) : keys });
      }
    }
  }
  plan.push({ name: 'readuniform r=16', workload: 'readuniform', sync: false, writers: 16, keys });
  plan.push({ name: 'readhot r=16', workload: 'readhot', sync: false, writers: 16, keys });
  plan.push({ name: 'writes during compaction w=16', workload: 'compaction', sync: false, writers: 16, keys });
  // --only takes a comma-separated list of name fragments (e.g. `readuniform,readhot`); a workload matching any runs.
  const only = values.only?.split(',').filter((f) => f.length > 0);
  const selected = only ? plan.filter((p) => only.some((f) => p.name.includes(f))) : plan;
  const rows: Array<{ name: string; pairdb: WorkerResult; classic: WorkerResult; ratio: number; p99Ratio: number }> = [];
  process.stderr.write(`bench:engine: ${keys} keys × ${values['value-size']} B, ≤ ${values['max-seconds']} s per run, ${reps} repetition(s), medians\n`);
  for (const [i, p] of selected.entries()) {
    const results: Record<EngineName, WorkerResult[]> = { pairdb: [], 'classic-level': [] };
    for (let r = 0; r < reps; r++) {
      const order: EngineName[] = (i + r) % 2 === 0 ? ['pairdb', 'classic-level'] : ['classic-level', 'pairdb'];
      for (const engine of order) {
        const dir = mkdtempSync(join(tmpdir(), `pairdb-bench-engine-${engine}-`));
        try {
          results[engine].push(
            runWorker({ engine, workload: p.workload, sync: p.sync, writers: p.writers, keys: p.keys, valueSize: Number(values['value-size']), maxSeconds: Number(values['max-seconds']), seed: 42 + r, dir }),
          );
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
    const med = (e: EngineName): WorkerResult => {
      const rs = results[e];
      const wa = rs.map((x) => x.writeAmp).filter((x): x is number => x !== null);
      return {
        ops: median(rs.map((x) => x.ops)),
        opsPerSec: median(rs.map((x) => x.opsPerSec)),
        p50Us: median(rs.map((x) => x.p50Us)),
        p99Us: median(rs.map((x) => x.p99Us)),
        p999Us: median(rs.map((x) => x.p999Us)),
        peakRssMiB: median(rs.map((x) => x.peakRssMiB)),
        diskBytes: median(rs.map((x) => x.diskBytes)),
        writeAmp: wa.length > 0 ? median(wa) : null,
      };
    };
    const pairdb = med('pairdb');
    const classic = med('classic-level');
    const row = { name: p.name, pairdb, classic, ratio: pairdb.opsPerSec / classic.opsPerSec, p99Ratio: pairdb.p99Us / classic.p99Us };
    rows.push(row);
    process.stderr.write(
      `${p.name.padEnd(26)} pairdb ${pairdb.opsPerSec.toFixed(0).padStart(8)} ops/s p99 ${(pairdb.p99Us / 1000).toFixed(2).padStart(7)} ms  ` +
        `classic-level ${classic.opsPerSec.toFixed(0).padStart(8)} ops/s p99 ${(classic.p99Us / 1000).toFixed(2).padStart(7)} ms  ratio ${row.ratio.toFixed(2)}\n`,
    );
  }
  if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else {
    const cols = ['WORKLOAD'.padEnd(30), 'RATIO', 'TARGET', 'P99 RATIO', 'P99 PAIRDB', 'P99 CLASSIC', 'RSS P/C MiB', 'DISK RATIO', 'WA P/C'];
    process.stdout.write(`${cols.join('  ')}\n`);
    const wa = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
    for (const r of rows) {
      const line = [
        r.name.padEnd(30),
        r.ratio.toFixed(2).padStart(5),
        targetOf(r.name).padStart(6),
        r.p99Ratio.toFixed(2).padStart(9),
        `${(r.pairdb.p99Us / 1000).toFixed(2)} ms`.padStart(10),
        `${(r.classic.p99Us / 1000).toFixed(2)} ms`.padStart(11),
        `${r.pairdb.peakRssMiB}/${r.classic.peakRssMiB}`.padStart(11),
        (r.pairdb.diskBytes / Math.max(1, r.classic.diskBytes)).toFixed(2).padStart(10),
        `${wa(r.pairdb.writeAmp)}/${wa(r.classic.writeAmp)}`.padStart(6),
      ];
      process.stdout.write(`${line.join('  ')}\n`);
    }
  }
  if (!values['no-record']) checkAndRecord(values.record!, rows, { keys, reps, valueSize: Number(values['value-size']) });
}

/**
 * §12 "a ratio dropping > 10 % from the previous recorded run fails the benchmark job": compares this run's ratios
 * with the ones recorded for the same sizes (workloads not run keep their old record), prints the drops, records
 * the new ratios, and sets exit code 1 on a drop.
 */
function checkAndRecord(path: string, rows: ReadonlyArray<{ name: string; ratio: number }>, sizes: { keys: number; reps: number; valueSize: number }): void {
  const key = `${sizes.keys}x${sizes.valueSize}B`;
  let all: Record<string, Record<string, number>> = {};
  try {
    all = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, number>>;
  } catch {
    // No record yet (or unreadable): this run becomes the first one.
  }
  const previous = all[key] ?? {};
  const drops = rows.filter((r) => previous[r.name] !== undefined && r.ratio < previous[r.name]! * 0.9);
  for (const r of drops) process.stderr.write(`REGRESSION ${r.name}: ratio ${r.ratio.toFixed(2)} < 0.9 × recorded ${previous[r.name]!.toFixed(2)}\n`);
  all[key] = { ...previous, ...Object.fromEntries(rows.map((r) => [r.name, Number(r.ratio.toFixed(3))])) };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(all, null, 2)}\n`);
  if (drops.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:engine failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
