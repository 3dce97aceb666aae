import { PairdbError } from '../errors.js';
import type { DataBlock } from './sstable-format.js';
import type { BlockCache } from './sstable-reader.js';

/**
 * The block cache (storage-engine.md §7): CRC-verified, parsed data blocks shared by every SSTableReader, keyed by
 * (file number, block offset), bounded by Σ DataBlock.weight (payload + entry offsets) ≤ capacity
 * (`block_cache_bytes`, 64 MiB; 0 disables).
 *
 * An LRU over an intrusive, circular, doubly linked list of slots (sentinel; head = most recent, tail = least
 * recent) plus one Map from (file, offset) to slot: a hit is one Map lookup and four pointer writes, eviction takes
 * the tail; both O(1). The Map key is the number file·2^32 + offset whenever that is exact (offset < 2^32, file
 * < 2^21: every real table), so a probe builds no string (the read path probes once per table per read); a string
 * key is the fallback for the rest. A second map, file number → its slots, lets evictFile() drop a deleted table's
 * blocks without scanning the whole cache. A block heavier than the whole capacity is not cached.
 *
 * Only SSTableReader sets blocks (readDataBlock / lookupUncached), after the CRC and the block's framing and key
 * order were checked, so nothing unverified is ever cached.
 */

class Slot {
  readonly key: SlotKey;
  readonly file: number;
  readonly offset: number;
  readonly block: DataBlock | undefined;
  readonly weight: number;
  prev: Slot;
  next: Slot;

  constructor(key: SlotKey, file: number, offset: number, block: DataBlock | undefined, weight: number) {
    this.key = key;
    this.file = file;
    this.offset = offset;
    this.block = block;
    this.weight = weight;
    this.prev = this;
    this.next = this;
  }
}

type SlotKey = number | string;

const TWO_32 = 0x1_0000_0000;
/** file · 2^32 + offset stays below 2^53 (exact) while file < 2^21. */
const MAX_NUMERIC_FILE = 0x20_0000;

function slotKey(fileNumber: number, offset: number): SlotKey {
  return offset < TWO_32 && fileNumber >= 0 && fileNumber < MAX_NUMERIC_FILE ? fileNumber * TWO_32 + offset : `${fileNumber}:${offset}`;
}

export class LruBlockCache implements BlockCache {
  readonly capacity: number;
  readonly #slots = new Map<SlotKey, Slot>();
  readonly #byFile = new Map<number, Set<Slot>>();
  /** head (sentinel.next) = most recently used, tail (sentinel.prev) = least. */
  readonly #sentinel = new Slot(-1, -1, -1, undefined, 0);
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
    const slot = this.#slots.get(slotKey(fileNumber, offset));
    if (!slot) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    const s = this.#sentinel;
    if (s.next !== slot) {
      this.#unlink(slot);
      this.#pushHead(slot);
    }
    return slot.block;
  }

  set(fileNumber: number, offset: number, block: DataBlock): void {
    const weight = block.weight;
    if (weight > this.capacity) return;
    const key = slotKey(fileNumber, offset);
    const old = this.#slots.get(key);
    if (old) this.#drop(old);
    const slot = new Slot(key, fileNumber, offset, block, weight);
    this.#slots.set(key, slot);
    this.#pushHead(slot);
    let slots = this.#byFile.get(fileNumber);
    if (!slots) {
      slots = new Set();
      this.#byFile.set(fileNumber, slots);
    }
    slots.add(slot);
    this.#bytes += weight;
    while (this.#bytes > this.capacity) {
      this.#drop(this.#sentinel.prev);
      this.#evictions++;
    }
  }

  /** Drops every block of a table (called when the table file is deleted); returns how many were dropped. */
  evictFile(fileNumber: number): number {
    const slots = this.#byFile.get(fileNumber);
    if (!slots) return 0;
    let n = 0;
    for (const slot of [...slots]) {
      this.#drop(slot);
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
    this.#sentinel.next = this.#sentinel;
    this.#sentinel.prev = this.#sentinel;
    this.#bytes = 0;
  }

  /** Bytes the cache can take before it evicts (SSTableReader's readahead fills only this room). */
  get spareBytes(): number {
    return this.capacity - this.#bytes;
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
    const out: Array<[number, number]> = [];
    for (let x = this.#sentinel.prev; x !== this.#sentinel; x = x.prev) out.push([x.file, x.offset]);
    return out;
  }

  #pushHead(slot: Slot): void {
    const s = this.#sentinel;
    slot.prev = s;
    slot.next = s.next;
    s.next.prev = slot;
    s.next = slot;
  }

  #unlink(slot: Slot): void {
    slot.prev.next = slot.next;
    slot.next.prev = slot.prev;
    slot.prev = slot;
    slot.next = slot;
  }

  #drop(slot: Slot): void {
    this.#unlink(slot);
    this.#slots.delete(slot.key);
    this.#bytes -= slot.weight;
    const slots = this.#byFile.get(slot.file)!;
    slots.delete(slot);
    if (slots.size === 0) this.#byFile.delete(slot.file);
  }
}
