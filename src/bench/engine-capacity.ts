import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dirBytes } from './disk-usage.js';
import { parseArgs } from 'node:util';
import { StorageEngine } from '../core/engine/engine.js';
import { silentLogger } from '../core/observability/logger.js';
import type { Version } from '../core/model/version.js';

/**
 * `npm run bench:engine:capacity` (issue 3, storage-engine.md §9 memory bounds): N million 100-byte writes into one
 * engine with DEFAULT settings (batch commit log, 64 MiB memtable, default caches, background compaction), from a
 * child process whose peak RSS is sampled; then the reopen time after a clean close and after a SIGKILL (which
 * replays the unflushed log). Prints one JSON object. Defaults: 5,000,000 writes, 256 in flight, random keys.
 */

const TENANT = 'bench';
const keyOf = (i: number): string => `k${String(i).padStart(16, '0')}`;


/** Peak RSS from /proc (VmHWM) — includes everything the process ever held, not a sample. */
function peakRssMiB(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Math.round(Number(m[1]) / 1024) : -1;
  } catch {
    return -1;
  }
}

interface FillResult {
  writes: number;
  /** Writes refused by back-pressure (stall timeout, queue full) and retried. */
  retried: number;
  seconds: number;
  peakRssMiB: number;
  rssAtEndMiB: number;
  heapUsedMiB: number;
  tables: Record<string, number>;
  compactions: number;
}

async function fill(dir: string, writes: number, inflight: number, crash: boolean): Promise<FillResult> {
  const engine = await StorageEngine.open({ dataDir: dir, logger: silentLogger() });
  const value = Buffer.alloc(100, 7);
  let counter = Date.now() * 1000;
  // A multiplicative permutation of 0..writes-1: random keys, each written once.
  const a = 2654435761 % writes || 1;
  let next = 0;
  let retried = 0;
  const started = performance.now();
  const one = async (): Promise<void> => {
    while (next < writes) {
      const n = next++;
      const ht = ++counter;
      const v: Version = { clock: [{ actor: 'c1', counter: ht }], value, tombstone: false, lww: true, timestampMs: Math.floor(ht / 1000), writerId: 'c1', writeId: Buffer.alloc(0) };
      for (;;) {
        try {
          await engine.writeBlind(TENANT, keyOf(Number((BigInt(n) * BigInt(a)) % BigInt(writes))), v, { purpose: 'STREAM' });
          break;
        } catch (err) {
          // Back-pressure (§3: a stall past 10 s, or the queue bound) is an answer a client retries; count it.
          const code = (err as { code?: string }).code;
          if (code !== 'SERVICE_UNAVAILABLE' && code !== 'WRITE_QUEUE_FULL') throw err;
          retried++;
        }
      }
      if ((n & 0xfffff) === 0 && n > 0) process.stderr.write(`  ${n} writes, rss ${Math.round(process.memoryUsage().rss / 1048576)} MiB\n`);
    }
  };
  await Promise.all(Array.from({ length: inflight }, one));
  const seconds = (performance.now() - started) / 1000;
  const s = engine.stats();
  const result: FillResult = {
    writes,
    retried,
    seconds,
    peakRssMiB: peakRssMiB(),
    rssAtEndMiB: Math.round(process.memoryUsage().rss / 1048576),
    heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 1048576),
    tables: Object.fromEntries([...s.levels].map(([l, x]) => [`L${l}`, x.tables])),
    compactions: s.compactions,
  };
  if (crash) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    // Die without closing: the next open replays the unflushed commit log.
    process.kill(process.pid, 'SIGKILL');
  }
  await engine.close();
  return result;
}

async function reopen(dir: string): Promise<{ ms: number; keys: number; replayedWrites: number }> {
  const t0 = performance.now();
  const engine = await StorageEngine.open({ dataDir: dir, logger: silentLogger() });
  const ms = performance.now() - t0;
  const out = { ms: Math.round(ms), keys: engine.stats().keyCount, replayedWrites: engine.replayReport.writes };
  await engine.close();
  return out;
}

function child(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (code === 0 || signal === 'SIGKILL') resolve(out.trim().split('\n').pop() ?? '');
      else reject(new Error(`child ${args.join(' ')} exited ${code ?? signal}`));
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      dir: { type: 'string' },
      writes: { type: 'string', default: '5000000' },
      inflight: { type: 'string', default: '256' },
      crash: { type: 'boolean', default: false },
    },
  });
  if (values.role === 'fill') {
    const r = await fill(values.dir!, Number(values.writes), Number(values.inflight), values.crash!);
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  if (values.role === 'reopen') {
    process.stdout.write(`${JSON.stringify(await reopen(values.dir!))}\n`);
    return;
  }
  const writes = Number(values.writes);
  const report: Record<string, unknown> = { writes, valueBytes: 100, settings: 'engine defaults (batch commit log, 64 MiB memtable, caches 64+128 MiB)' };
  for (const crash of [false, true]) {
    const dir = mkdtempSync(join(tmpdir(), 'pairdb-capacity-'));
    try {
      process.stderr.write(`capacity: ${writes} writes, ${crash ? 'then SIGKILL' : 'then clean close'}\n`);
      const filled = JSON.parse(await child(['--role', 'fill', '--dir', dir, '--writes', String(writes), '--inflight', values.inflight!, ...(crash ? ['--crash'] : [])])) as FillResult;
      const reopened = JSON.parse(await child(['--role', 'reopen', '--dir', dir])) as { ms: number };
      report[crash ? 'afterKill' : 'afterClose'] = { fill: filled, reopen: reopened, diskMiB: Math.round(dirBytes(dir) / 1048576) };
      process.stderr.write(`${JSON.stringify(report[crash ? 'afterKill' : 'afterClose'])}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:engine:capacity failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
