import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { StorageEngine } from '../../../src/core/engine/engine.js';
import { silentLogger } from '../../../src/core/observability/logger.js';
import { counterOf } from '../../../src/core/model/vector-clock.js';
import { seedFrom } from './fault-helpers.js';
import { tempDir } from './helpers.js';
import { prng } from './sstable-helpers.js';

/**
 * Process crash (storage-engine.md §11.4): a child process runs the engine (batch mode, tiny memtable, concurrent
 * writers, deletes among them) and prints every acknowledged write; the parent SIGKILLs it after 50–500 ms, reopens
 * the data dir in-process and checks every acknowledged write is there with a version at least as new (so an acked
 * delete is never followed by the old value), that nothing was torn into garbage, and that no crash leftover
 * survives the open. 20 cycles on one data dir. The child is test/fixtures/engine-child.mjs and runs dist/ (build
 * first, as `npm test` does). The data dir is on the real disk (tmpdir), as a real node's would be.
 * PAIRDB_CRASH_SEED replays a run's kill delays and each writer's stream of keys and operations (how they interleave
 * still depends on timing); the seed is in every failure message.
 */

const CHILD = fileURLToPath(new URL('../../fixtures/engine-child.mjs', import.meta.url));
const CYCLES = 20;
const WRITERS = 32;
const KEYS_PER_WRITER = 24;
const MEMTABLE_BYTES = 16 * 1024;

interface Acked {
  counter: number;
  tombstone: boolean;
}

interface ChildRun {
  /** Acks in the order the child printed them. */
  acks: Array<{ key: string; counter: number; tombstone: boolean }>;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  stderr: string;
  /** Lines that were neither `R` nor an ack (a protocol bug). */
  junk: string[];
}

/** Starts the child, SIGKILLs it `killAfterMs` after it reports the engine open, and collects what it printed. */
function runChild(dataDir: string, seed: number, cycle: number, killAfterMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, String(seed), String(cycle), String(WRITERS), String(KEYS_PER_WRITER), String(MEMTABLE_BYTES)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: ChildRun['acks'] = [];
    const junk: string[] = [];
    let partial = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      // A line cut by the kill has no newline: it was never fully printed, so it does not count as an ack.
      partial = lines.pop()!;
      for (const line of lines) {
        if (line === 'R') {
          timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
          continue;
        }
        const [tag, key, counter, kind] = line.split(' ');
        if (tag !== 'A' || !key || !counter || (kind !== 'v' && kind !== 't')) junk.push(line);
        else acks.push({ key, counter: Number(counter), tombstone: kind === 't' });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    // 'close' (not 'exit'): every byte of stdout has been read by then.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ acks, exit: { code, signal }, stderr, junk });
    });
  });
}

describe('StorageEngine process crash (SIGKILL)', () => {
  it(`keeps every acknowledged write and delete across ${CYCLES} SIGKILLs of a writing child on one data dir`, async () => {
    const seed = seedFrom('PAIRDB_CRASH_SEED');
    const rnd = prng(seed);
    const tmp = tempDir('pairdb-proc-crash-');
    const dataDir = join(tmp.dir, 'data');
    // key → latest acknowledged operation, over all cycles.
    const acked = new Map<string, Acked>();
    let totalAcks = 0;
    // Tables on disk after the previous checking close; more at the next open means the child itself flushed.
    let tablesAfterClose = 0;
    let childFlushed = 0;
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const ctx = `seed ${seed} (PAIRDB_CRASH_SEED=${seed}), cycle ${cycle}`;
        const killAfterMs = 50 + Math.floor(rnd() * 451);
        const run = await runChild(dataDir, seed + cycle, cycle, killAfterMs);
        expect(run.exit, `${ctx}: the child must die by SIGKILL, not on its own; stderr: ${run.stderr}`).toEqual({ code: null, signal: 'SIGKILL' });
        expect(run.junk, ctx).toEqual([]);
        for (const a of run.acks) {
          const prev = acked.get(a.key);
          // One writer owns a key and runs its operations in sequence, so its acks arrive in counter order.
          expect(prev === undefined || prev.counter < a.counter, `${ctx}: acks of ${a.key} out of order`).toBe(true);
          acked.set(a.key, { counter: a.counter, tombstone: a.tombstone });
        }
        totalAcks += run.acks.length;

        // Alternate the shutdown of the checking open: flushing it (the next child starts from tables) or not (the
        // next child replays the log first).
        const flushOnShutdown = rnd() < 0.5;
        // No background compaction in the checking open: its outputs would appear in sst/ before their EDIT and
        // race the leftover check below (the child compacts in the background as usual).
        const e = await StorageEngine.open({ dataDir, logger: silentLogger(), flushOnShutdown, autoCompact: false });
        try {
          const problems: string[] = [];
          for (const [key, want] of acked) {
            const got = await e.get('acme', key);
            // One actor ("c") per key: every later version dominates, so exactly one version survives Reduce.
            if (got.length !== 1) {
              problems.push(`${key}: ${got.length} versions, acked ${want.counter}`);
              continue;
            }
            const v = got[0]!;
            const c = counterOf(v.clock, 'c');
            if (c < want.counter) problems.push(`${key}: recovered counter ${c} < acked ${want.counter}${want.tombstone ? ' (an acked delete was undone)' : ''}`);
            else if (c === want.counter && v.tombstone !== want.tombstone) problems.push(`${key}@${c}: tombstone ${v.tombstone}, acked ${want.tombstone}`);
            else if (!v.tombstone && !v.value.toString().startsWith(`${key}@${c}`)) problems.push(`${key}@${c}: value ${JSON.stringify(v.value.toString().slice(0, 40))} is not what was written`);
          }
          expect(problems, `${ctx}: ${run.acks.length} acks this cycle, killed after ${killAfterMs} ms`).toEqual([]);
          // §5 step 4: the open deleted every crash leftover (unpublished temp tables, tables the manifest never listed).
          const listed = [...e.manifestState.tables.values()].flat().map((t) => `${String(t.file).padStart(20, '0')}.sst`).sort();
          const onDisk = readdirSync(join(dataDir, 'sst')).sort();
          expect(onDisk, `${ctx}: files in sst/ after the open`).toEqual(listed);
          if (listed.length > tablesAfterClose) childFlushed++;
        } finally {
          await e.close();
        }
        tablesAfterClose = readdirSync(join(dataDir, 'sst')).length;
      }
      // The run exercised what it claims to: many acks, deletes among them, and flushed tables under the kills.
      expect(totalAcks, `seed ${seed}`).toBeGreaterThan(CYCLES * 20);
      expect([...acked.values()].some((a) => a.tombstone), `seed ${seed}: no acked delete`).toBe(true);
      expect(childFlushed, `seed ${seed}: the child never flushed before its kill`).toBeGreaterThan(0);
    } finally {
      tmp.cleanup();
    }
  }, 120_000);
});
