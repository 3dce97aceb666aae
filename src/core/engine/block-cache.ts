import { PairdbError } from '../errors.js';
import type { DataBlock } from './sstable-format.js';
import type { BlockCache } from './sstable-reader.js';

/**
 * The block cache (storage-engine.md §7): CRC-verified, parsed data blocks shared by every SSTableReader, keyed by
 * (file number, block offset), bounded by Σ DataBlock.weight (payload + entry offsets) ≤ capacity
 * (`block_cache_bytes`, 64 MiB; 0 disables).
 *
 * A plain LRU on `Map` insertion order: a hit re-inserts the key (moves it to the newest end), eviction takes
 * `keys().next()` (the oldest). Both O(1). A second map, file number → its keys, lets evictFile() drop a deleted
 * table's blocks without scanning the whole cache. A block heavier than the whole capacity is not cached.
 *
 * Only SSTableReader.readDataBlock calls set(), after the CRC and the block's framing and key order were checked,
 * so nothing unverified is ever cached.
 */

interface Slot {
  readonly file: number;
  readonly block: DataBlock;
  readonly weight: number;
}

function slotKey(fileNumber: number, offset: number): string {
  return `${fileNumber}:${offset}`;
}

export class LruBlockCache implements BlockCache {
  readonly capacity: number;
  readonly #slots = new Map<string, Slot>();
  readonly #byFile = new Map<number, Set<string>>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new PairdbError('CONFIG_INVALID', `block cache capacity must be a whole number of bytes ≥ 0, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  get(fileNumber: number, offset: number): DataBlock | undefined {
    const key = slotKey(fileNumber, offset);
    const slot = this.#slots.get(key);
    if (!slot) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    // Re-insert: Map iteration order is insertion order, so this makes it the most recently used.
    this.#slots.delete(key);
    this.#slots.set(key, slot);
    return slot.block;
  }

  set(fileNumber: number, offset: number, block: DataBlock): void {
    const weight = block.weight;
    if (weight > this.capacity) return;
    const key = slotKey(fileNumber, offset);
    const old = this.#slots.get(key);
    if (old) this.#drop(key, old);
    this.#slots.set(key, { file: fileNumber, block, weight });
    let keys = this.#byFile.get(fileNumber);
    if (!keys) {
      keys = new Set();
      this.#byFile.set(fileNumber, keys);
    }
    keys.add(key);
    this.#bytes += weight;
    while (this.#bytes > this.capacity) {
      const oldest = this.#slots.keys().next().value!;
      this.#drop(oldest, this.#slots.get(oldest)!);
      this.#evictions++;
    }
  }

  /** Drops every block of a table (called when the table file is deleted); returns how many were dropped. */
  evictFile(fileNumber: number): number {
    const keys = this.#byFile.get(fileNumber);
    if (!keys) return 0;
    let n = 0;
    for (const key of [...keys]) {
      this.#drop(key, this.#slots.get(key)!);
      n++;
    }
    return n;
  }

  /** True when the block is cached; no recency change, no counters. */
  has(fileNumber: number, offset: number): boolean {
    return this.#slots.has(slotKey(fileNumber, offset));
  }

  clear(): void {
    this.#slots.clear();
    this.#byFile.clear();
    this.#bytes = 0;
  }

  /** Σ cached block weights (block_cache_bytes gauge). */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#slots.size;
  }

  get hits(): number {
    return this.#hits;
  }

  get misses(): number {
    return this.#misses;
  }

  get evictions(): number {
    return this.#evictions;
  }

  get hitRate(): number {
    const n = this.#hits + this.#misses;
    return n === 0 ? 0 : this.#hits / n;
  }

  /** Cached (file, offset) pairs from least to most recently used (tests; O(n)). */
  entries(): Array<[fileNumber: number, offset: number]> {
    return [...this.#slots.keys()].map((k) => {
      const i = k.indexOf(':');
      return [Number(k.slice(0, i)), Number(k.slice(i + 1))];
    });
  }

  #drop(key: string, slot: Slot): void {
    this.#slots.delete(key);
    this.#bytes -= slot.weight;
    const keys = this.#byFile.get(slot.file)!;
    keys.delete(key);
    if (keys.size === 0) this.#byFile.delete(slot.file);
  }
}
