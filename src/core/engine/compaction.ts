import { PairdbError } from '../errors.js';
import type { CompactionPolicy } from './compaction-picker.js';
import { OutputSplitter } from './compaction-picker.js';
import type { FileSystem } from './file-system.js';
import type { TableMeta } from './manifest-format.js';
import { type MergeEntry, type PurgeFn, mergeIterator } from './merge-iterator.js';
import type { SSTableReader } from './sstable-reader.js';
import { type SSTableInfo, SSTableWriter } from './sstable-writer.js';

/**
 * One compaction job (storage-engine.md §6 "Merge"): k-way merge of the input tables by ckey, Reduce per key,
 * tombstone purge, optional drop filter, written as one or more tables of the output level split where
 * OutputSplitter says. Outputs are published (temp → fsync → rename → fsync dir, by SSTableWriter) but NOT committed:
 * the caller commits the manifest EDIT, or deletes the outputs (`discardOutputs`) when anything fails before it.
 *
 * The work is asynchronous per data block (every input block is a positional read, every 1 MiB of output a write),
 * so the event loop is never held for longer than one block's merge; the rate limiter sleeps between output chunks.
 */

/** An input table and its open reader. */
export interface CompactionInput {
  readonly meta: TableMeta;
  readonly reader: SSTableReader;
}

export interface CompactionJobOptions {
  readonly fs: FileSystem;
  /** Tables of the source level (L0: any order, may overlap; Ln: disjoint). */
  readonly inputs: readonly CompactionInput[];
  /** Tables of the output level overlapping the inputs (disjoint). Empty for a tombstone-GC rewrite. */
  readonly overlapping: readonly CompactionInput[];
  readonly outputLevel: number;
  /** Tables of outputLevel + 1 (output splitting by overlap). */
  readonly levelBelowOutput: readonly TableMeta[];
  readonly policy: CompactionPolicy;
  readonly allocateFile: () => number;
  readonly tablePath: (file: number) => string;
  readonly purge?: PurgeFn;
  /** Keys to omit from the output (Compact RPC drop specs). */
  readonly drop?: (ckey: Buffer) => boolean;
  readonly limiter?: CompactionRateLimiter;
  /** `block_bytes` and `bloom_bits_per_key` of the outputs (writer defaults 4096 and 10). */
  readonly blockBytes?: number;
  readonly bloomBitsPerKey?: number;
  readonly nowMs: number;
  /** Checked between entries: true stops the job with SERVICE_UNAVAILABLE (engine closing). */
  readonly cancelled?: () => boolean;
}

export interface CompactionResult {
  readonly outputs: readonly TableMeta[];
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly keysIn: number;
  readonly keysOut: number;
  readonly dropped: number;
}

/** Longest stretch of merge work between two event-loop turns (the spec's bound is 10 ms). */
const YIELD_EVERY_MS = 4;

/** Output bytes between two limiter calls: small enough to smooth the rate, large enough to be cheap. */
const LIMITER_CHUNK_BYTES = 256 * 1024;

/** Tables of one level in key order, read as one run (§6: "L1+ inputs as concatenated runs"). */
async function* concatenated(tables: readonly CompactionInput[]): AsyncGenerator<MergeEntry> {
  const sorted = [...tables].sort((a, b) => (a.meta.minKey < b.meta.minKey ? -1 : a.meta.minKey > b.meta.minKey ? 1 : 0));
  for (const t of sorted) yield* t.reader.entries(undefined, { fillCache: false });
}

/**
 * Runs the merge and writes the outputs. On any error the outputs written so far are deleted and the error is
 * rethrown (an SSTableCorruptionError names the input file that failed).
 */
export async function runCompaction(opts: CompactionJobOptions): Promise<CompactionResult> {
  const { fs, policy } = opts;
  const sourceLevelIsL0 = opts.inputs.length > 0 && opts.inputs[0]!.meta.level === 0;
  const sources: AsyncIterable<MergeEntry>[] = [];
  const names: string[] = [];
  if (sourceLevelIsL0) {
    for (const t of opts.inputs) {
      sources.push(t.reader.entries(undefined, { fillCache: false }));
      names.push(t.reader.path);
    }
  } else if (opts.inputs.length > 0) {
    sources.push(concatenated(opts.inputs));
    names.push(`level ${opts.inputs[0]!.meta.level} run`);
  }
  if (opts.overlapping.length > 0) {
    sources.push(concatenated(opts.overlapping));
    names.push(`level ${opts.outputLevel} run`);
  }
  const bytesRead = [...opts.inputs, ...opts.overlapping].reduce((n, t) => n + t.meta.size, 0);
  const keysIn = [...opts.inputs, ...opts.overlapping].reduce((n, t) => n + t.meta.keys, 0);

  const splitter = new OutputSplitter(opts.levelBelowOutput, policy);
  const finished: TableMeta[] = [];
  const written: string[] = [];
  let writer: SSTableWriter | undefined;
  let bytesWritten = 0;
  let unlimited = 0;
  let keysOut = 0;
  let dropped = 0;

  const finishWriter = async (): Promise<void> => {
    if (!writer) return;
    const w = writer;
    writer = undefined;
    const info = await w.finish();
    written.push(info.path);
    bytesWritten += info.size;
    finished.push(tableMetaOf(info, opts.outputLevel));
  };

  // §6: the merge runs in microtasks between reads of 1 MiB chunks; give the event loop a turn every few ms so
  // reads and writes are never held for long behind it.
  let sliceStart = performance.now();
  try {
    for await (const e of mergeIterator(sources, { nowMs: opts.nowMs, purge: opts.purge, sourceNames: names })) {
      if (performance.now() - sliceStart > YIELD_EVERY_MS) {
        await new Promise((r) => setImmediate(r));
        sliceStart = performance.now();
      }
      if (opts.cancelled?.()) throw new PairdbError('SERVICE_UNAVAILABLE', 'compaction cancelled: the engine is closing');
      if (opts.drop?.(e.ckey)) {
        dropped++;
        continue;
      }
      if (writer && splitter.shouldSplitBefore(e.ckey, writer.bytesWritten)) await finishWriter();
      else if (!writer) splitter.shouldSplitBefore(e.ckey, 0);
      if (!writer) {
        const file = opts.allocateFile();
        writer = await SSTableWriter.create({
          fs,
          path: opts.tablePath(file),
          fileNumber: file,
          level: opts.outputLevel,
          reason: 'compaction',
          blockBytes: opts.blockBytes,
          bloomBitsPerKey: opts.bloomBitsPerKey,
        });
      }
      const before = writer.bytesWritten;
      await writer.add(e.ckey, e.versions, e.wids);
      keysOut++;
      unlimited += writer.bytesWritten - before;
      if (unlimited >= LIMITER_CHUNK_BYTES && opts.limiter) {
        await opts.limiter.consume(unlimited);
        unlimited = 0;
      }
    }
    await finishWriter();
  } catch (err) {
    if (writer) await writer.abort().catch(() => undefined);
    await discardOutputs(fs, written);
    throw err;
  }
  return { outputs: finished, bytesRead, bytesWritten, keysIn, keysOut, dropped };
}

/** The manifest's TableMeta of a table just written (its properties block holds the rest). */
export function tableMetaOf(info: SSTableInfo, level: number): TableMeta {
  const p = info.properties;
  return {
    file: info.fileNumber,
    level,
    size: info.size,
    minKey: p.min_key,
    maxKey: p.max_key,
    keys: p.keys,
    tombstones: p.tombstones,
    oldestTombstoneTs: p.oldest_tombstone_ts,
  };
}

/** Deletes published-but-uncommitted outputs (best effort: a leftover is an orphan the next start removes). */
export async function discardOutputs(fs: FileSystem, paths: readonly string[]): Promise<void> {
  for (const p of paths) await fs.unlink(p).catch(() => undefined);
}

/**
 * §6 rate limit: a token bucket on compaction output bytes (`compaction_bytes_per_sec`, default 64 MiB/s; burst one
 * second), lifted while L0 ≥ l0_slowdown (`unlimited()` true). Flushes never pass through it.
 */
export class CompactionRateLimiter {
  readonly #bytesPerSec: number;
  readonly #unlimited: () => boolean;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(bytesPerSec: number, unlimited: () => boolean = () => false, now: () => number = () => performance.now()) {
    this.#bytesPerSec = bytesPerSec;
    this.#unlimited = unlimited;
    this.#now = now;
    this.#tokens = bytesPerSec;
    this.#last = now();
  }

  /** How long a caller that just wrote `bytes` must wait (ms), and takes the tokens. Pure bookkeeping. */
  take(bytes: number): number {
    if (this.#bytesPerSec <= 0 || !Number.isFinite(this.#bytesPerSec) || this.#unlimited()) return 0;
    const now = this.#now();
    this.#tokens = Math.min(this.#bytesPerSec, this.#tokens + ((now - this.#last) / 1000) * this.#bytesPerSec);
    this.#last = now;
    this.#tokens -= bytes;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.#bytesPerSec) * 1000;
  }

  async consume(bytes: number): Promise<void> {
    const waitMs = this.take(bytes);
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  }
}
