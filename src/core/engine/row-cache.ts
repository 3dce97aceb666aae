import { PairdbError } from '../errors.js';
import type { Version } from '../model/version.js';
import { CountMinSketch, hashKey } from './count-min-sketch.js';
import { versionSetSize } from './memtable.js';

/**
 * The row cache (storage-engine.md §7): W-TinyLFU, byte-bounded, O(1) amortized per operation.
 *
 * Data structure
 * - One `Map<ckey string, Node>` finds an entry; every Node also sits in exactly one of three intrusive, circular,
 *   doubly linked lists (a sentinel per list, head = most recent, tail = least recent). Moving a node is four
 *   pointer writes; nothing is ever shifted or scanned.
 *     window     LRU, 1 % of capacity: every new entry lands here;
 *     probation  main SLRU's lower segment (whatever main holds outside protected, nominally 20 %);
 *     protected  main SLRU's upper segment, at most 80 % of main.
 * - A CountMinSketch (4 rows of 4-bit counters, width = next power of two ≥ capacity/256) estimates how often a key
 *   was accessed; get() and set() increment it, all counters halve after 10 × width increments.
 *
 * Moves
 * - set(new key): → window head; while the window is over budget its tail leaves as the *candidate*.
 * - candidate: if main has room it joins probation; otherwise, while main lacks room, it is compared to the probation
 *   tail (the protected tail if probation is empty): freq(candidate) > freq(victim) evicts the victim, else the
 *   candidate is dropped (a rejection). Victims evicted before a loss stay evicted (as in Caffeine; keeps it O(1)
 *   amortized: every eviction pays for one earlier insertion).
 * - hit: window → window head; probation → protected head, then protected overflow demotes its tails to probation
 *   head; protected → protected head.
 * - update(key, fn): the value changes in place (same list, same position), then any budget it now exceeds is
 *   restored: window overflow as above, protected overflow demotes, main overflow evicts probation tails first.
 *
 * Invariants (checked by the tests): bytes = Σ weights ≤ capacity; window ≤ 1 %, main ≤ 99 %, protected ≤ 80 % of
 * main; no entry heavier than capacity/16. Capacity 0 disables the cache: every get is a miss, writes do nothing.
 *
 * The value type is generic so the structure can be tested with cheap values; the engine uses the default
 * `readonly Version[]` (a Reduce-d set, possibly empty for an absent key) and the §7 weight
 * utf8(ckey) length + encoded set length + 64.
 */

/** Per-entry overhead in the §7 weight. */
export const ROW_CACHE_ENTRY_OVERHEAD = 64;

/** §7 weight of a cached version set: ckey length (UTF-8 bytes) + encoded set length + 64. */
export function rowWeight(key: string, set: readonly Version[]): number {
  return Buffer.byteLength(key, 'utf8') + versionSetSize(set) + ROW_CACHE_ENTRY_OVERHEAD;
}

export type Weigher<V> = (key: string, value: V) => number;

export interface RowCacheOptions<V> {
  /** Entry weight in bytes; default rowWeight (values must then be version sets). */
  readonly weigh?: Weigher<V>;
}

const enum Region {
  None = 0,
  Window = 1,
  Probation = 2,
  Protected = 3,
}

class Node<V> {
  key: string;
  value: V;
  weight: number;
  readonly hash: number;
  region: Region = Region.None;
  prev: Node<V>;
  next: Node<V>;

  constructor(key: string, value: V, weight: number, hash: number) {
    this.key = key;
    this.value = value;
    this.weight = weight;
    this.hash = hash;
    this.prev = this;
    this.next = this;
  }
}

/** A circular list around a sentinel; `bytes` is the weight of its members. */
class List<V> {
  readonly sentinel: Node<V>;
  bytes = 0;
  count = 0;

  constructor() {
    this.sentinel = new Node<V>('', undefined as V, 0, 0);
  }

  get tail(): Node<V> | undefined {
    const t = this.sentinel.prev;
    return t === this.sentinel ? undefined : t;
  }

  pushHead(n: Node<V>): void {
    const s = this.sentinel;
    n.prev = s;
    n.next = s.next;
    s.next.prev = n;
    s.next = n;
    this.bytes += n.weight;
    this.count++;
  }

  unlink(n: Node<V>): void {
    n.prev.next = n.next;
    n.next.prev = n.prev;
    n.prev = n;
    n.next = n;
    this.bytes -= n.weight;
    this.count--;
  }

  clear(): void {
    this.sentinel.prev = this.sentinel;
    this.sentinel.next = this.sentinel;
    this.bytes = 0;
    this.count = 0;
  }
}

export class RowCache<V = readonly Version[]> {
  readonly capacity: number;
  /** Largest admissible entry: capacity/16 (§7). */
  readonly maxEntryBytes: number;
  readonly windowCapacity: number;
  readonly mainCapacity: number;
  readonly protectedCapacity: number;
  readonly #weigh: Weigher<V>;
  readonly #map = new Map<string, Node<V>>();
  readonly #window = new List<V>();
  readonly #probation = new List<V>();
  readonly #protected = new List<V>();
  readonly #sketch: CountMinSketch | undefined;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #rejections = 0;
  #linkOps = 0;

  constructor(capacity: number, opts: RowCacheOptions<V> = {}) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new PairdbError('CONFIG_INVALID', `row cache capacity must be a whole number of bytes ≥ 0, got ${capacity}`);
    }
    this.capacity = capacity;
    this.maxEntryBytes = Math.floor(capacity / 16);
    this.windowCapacity = Math.floor(capacity / 100);
    this.mainCapacity = capacity - this.windowCapacity;
    this.protectedCapacity = Math.floor(this.mainCapacity * 0.8);
    this.#weigh = opts.weigh ?? (rowWeight as unknown as Weigher<V>);
    this.#sketch = capacity > 0 ? new CountMinSketch(CountMinSketch.widthFor(capacity)) : undefined;
  }

  /** The cached value, or undefined (a miss). Counts as an access for the frequency sketch. */
  get(key: string): V | undefined {
    const node = this.#map.get(key);
    if (!node) {
      this.#misses++;
      this.#sketch?.increment(hashKey(key));
      return undefined;
    }
    this.#hits++;
    this.#sketch!.increment(node.hash);
    this.#onHit(node);
    return node.value;
  }

  /** True when the key is cached; no side effects (no sketch increment, no recency change). */
  has(key: string): boolean {
    return this.#map.has(key);
  }

  /**
   * Caches `value` under `key` (a read-path fill). Replaces an existing entry (and counts as a hit on it for
   * recency); an entry heavier than capacity/16 is never admitted (and removes a cached one for that key).
   */
  set(key: string, value: V): void {
    const sketch = this.#sketch;
    if (!sketch) return;
    const weight = this.#weigh(key, value);
    const existing = this.#map.get(key);
    if (existing) {
      sketch.increment(existing.hash);
      if (weight > this.maxEntryBytes) {
        this.#remove(existing);
        this.#rejections++;
        return;
      }
      this.#reweigh(existing, value, weight);
      this.#onHit(existing);
      this.#rebalance();
      return;
    }
    const hash = hashKey(key);
    sketch.increment(hash);
    if (weight > this.maxEntryBytes) {
      this.#rejections++;
      return;
    }
    const node = new Node<V>(key, value, weight, hash);
    this.#map.set(key, node);
    node.region = Region.Window;
    this.#push(this.#window, node);
    this.#drainWindow();
  }

  /**
   * The write path's in-place update (§7 "writes update a cached entry in place"): when `key` is cached, its value
   * becomes fn(value) without changing its position or frequency. Returns whether the key is still cached after
   * the update (false when absent, or when the new value is too heavy or was evicted to restore the budget).
   */
  update(key: string, fn: (value: V) => V): boolean {
    const node = this.#map.get(key);
    if (!node) return false;
    const value = fn(node.value);
    const weight = this.#weigh(key, value);
    if (weight > this.maxEntryBytes) {
      this.#remove(node);
      this.#rejections++;
      return false;
    }
    this.#reweigh(node, value, weight);
    this.#rebalance();
    return this.#map.get(key) === node;
  }

  /** Removes a key; true when it was cached. */
  delete(key: string): boolean {
    const node = this.#map.get(key);
    if (!node) return false;
    this.#remove(node);
    return true;
  }

  /** Drops every entry and the frequency history; the hit/miss/eviction counters keep counting. */
  clear(): void {
    this.#map.clear();
    this.#window.clear();
    this.#probation.clear();
    this.#protected.clear();
    this.#sketch?.reset();
  }

  /** Σ entry weights. */
  get bytes(): number {
    return this.#window.bytes + this.#probation.bytes + this.#protected.bytes;
  }

  get size(): number {
    return this.#map.size;
  }

  get hits(): number {
    return this.#hits;
  }

  get misses(): number {
    return this.#misses;
  }

  /** hits / (hits + misses), 0 before the first lookup. */
  get hitRate(): number {
    const n = this.#hits + this.#misses;
    return n === 0 ? 0 : this.#hits / n;
  }

  /** Entries removed to make room (row_cache_evictions_total). */
  get evictions(): number {
    return this.#evictions;
  }

  /** Entries refused: too heavy, or a candidate that lost the admission contest (row_cache_rejections_total). */
  get rejections(): number {
    return this.#rejections;
  }

  /** List link/unlink operations so far: the unit of work the complexity tests count. */
  get linkOps(): number {
    return this.#linkOps;
  }

  /** Estimated access frequency of a key (0..15); 0 when disabled. */
  frequency(key: string): number {
    return this.#sketch?.frequency(hashKey(key)) ?? 0;
  }

  /** The frequency sketch (tests and metrics); undefined when disabled. */
  get sketch(): CountMinSketch | undefined {
    return this.#sketch;
  }

  /** Where a key lives (tests, debugging). */
  regionOf(key: string): 'window' | 'probation' | 'protected' | undefined {
    const r = this.#map.get(key)?.region;
    return r === Region.Window ? 'window' : r === Region.Probation ? 'probation' : r === Region.Protected ? 'protected' : undefined;
  }

  /** Byte totals per region (tests, metrics). */
  regionBytes(): { window: number; probation: number; protected: number } {
    return { window: this.#window.bytes, probation: this.#probation.bytes, protected: this.#protected.bytes };
  }

  /** Keys of a region from most to least recent (tests; O(n)). */
  keysOf(region: 'window' | 'probation' | 'protected'): string[] {
    const list = region === 'window' ? this.#window : region === 'probation' ? this.#probation : this.#protected;
    const out: string[] = [];
    for (let n = list.sentinel.next; n !== list.sentinel; n = n.next) out.push(n.key);
    return out;
  }

  // -------------------------------------------------------------------------------------------------------------

  #listOf(n: Node<V>): List<V> {
    return n.region === Region.Window ? this.#window : n.region === Region.Probation ? this.#probation : this.#protected;
  }

  #push(list: List<V>, n: Node<V>): void {
    list.pushHead(n);
    this.#linkOps++;
  }

  #unlink(list: List<V>, n: Node<V>): void {
    list.unlink(n);
    this.#linkOps++;
  }

  #mainBytes(): number {
    return this.#probation.bytes + this.#protected.bytes;
  }

  #onHit(n: Node<V>): void {
    switch (n.region) {
      case Region.Window:
        this.#unlink(this.#window, n);
        this.#push(this.#window, n);
        break;
      case Region.Probation:
        this.#unlink(this.#probation, n);
        n.region = Region.Protected;
        this.#push(this.#protected, n);
        this.#demoteOverflow();
        break;
      case Region.Protected:
        this.#unlink(this.#protected, n);
        this.#push(this.#protected, n);
        break;
      default:
        break;
    }
  }

  /** Changes a node's value and weight, keeping its list's byte total right. */
  #reweigh(n: Node<V>, value: V, weight: number): void {
    n.value = value;
    this.#listOf(n).bytes += weight - n.weight;
    n.weight = weight;
  }

  #remove(n: Node<V>): void {
    this.#unlink(this.#listOf(n), n);
    n.region = Region.None;
    this.#map.delete(n.key);
  }

  /** Protected over 80 % of main: its tails move to the head of probation (main's total is unchanged). */
  #demoteOverflow(): void {
    while (this.#protected.bytes > this.protectedCapacity) {
      const t = this.#protected.tail!;
      this.#unlink(this.#protected, t);
      t.region = Region.Probation;
      this.#push(this.#probation, t);
    }
  }

  /** Window over 1 %: its tails leave as admission candidates. */
  #drainWindow(): void {
    while (this.#window.bytes > this.windowCapacity) {
      const c = this.#window.tail!;
      this.#unlink(this.#window, c);
      c.region = Region.None;
      this.#admit(c);
    }
  }

  /** TinyLFU admission of a candidate leaving the window (§7). */
  #admit(c: Node<V>): void {
    const sketch = this.#sketch!;
    let candidateFreq = -1;
    while (this.#mainBytes() + c.weight > this.mainCapacity) {
      // Probation is empty only if everything in main is protected (≤ 80 %), which leaves room for any entry
      // (≤ capacity/16); the protected fallback is defensive.
      const victim = this.#probation.tail ?? this.#protected.tail;
      if (!victim) break;
      if (candidateFreq < 0) candidateFreq = sketch.frequency(c.hash);
      if (candidateFreq > sketch.frequency(victim.hash)) {
        this.#remove(victim);
        this.#evictions++;
      } else {
        this.#map.delete(c.key);
        this.#rejections++;
        return;
      }
    }
    c.region = Region.Probation;
    this.#push(this.#probation, c);
  }

  /** Restores every budget after an entry grew in place; main overflow evicts without a contest. */
  #rebalance(): void {
    this.#drainWindow();
    this.#demoteOverflow();
    while (this.#mainBytes() > this.mainCapacity) {
      const victim = this.#probation.tail ?? this.#protected.tail!;
      this.#remove(victim);
      this.#evictions++;
    }
  }
}
