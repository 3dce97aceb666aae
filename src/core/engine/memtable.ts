import { encodedVersionSize, varintSize } from '../model/version-codec.js';
import { type Version, reduce } from '../model/version.js';
import { compareBytes } from './sstable-format.js';
import { NO_WRITE_IDS, type WriteIdEntry, mergeWriteIds } from './write-ids.js';

/**
 * The memtable (storage-engine.md §3): a skip list (max height 16, p = 1/4) ordered by byte comparison on
 * ckey = utf8(tenant) 0x00 utf8(key), plus a Map for point lookups. Each node holds the Reduce-d version set of its
 * key and the key's write-id memory. Inserting merges: entry = Reduce(entry ∪ {v}).
 *
 * Size = Σ (ckey length + encoded set length + 96), adjusted by the delta of every merge.
 */

const MAX_HEIGHT = 16;
const P = 0.25;
/** Per-entry overhead of §3's size formula. */
export const ENTRY_OVERHEAD = 96;

/** What a memtable entry exposes; `versions` is Reduce-d, canonical order, never mutated in place. */
export interface MemEntry {
  readonly tenantId: string;
  readonly key: string;
  readonly ckey: Buffer;
  readonly versions: readonly Version[];
  readonly wids: readonly WriteIdEntry[];
}

class SkipNode implements MemEntry {
  readonly tenantId: string;
  readonly key: string;
  readonly ckey: Buffer;
  versions: readonly Version[] = [];
  wids: readonly WriteIdEntry[] = NO_WRITE_IDS;
  setBytes: number;
  readonly next: Array<SkipNode | null>;

  constructor(tenantId: string, key: string, ckey: Buffer, height: number) {
    this.tenantId = tenantId;
    this.key = key;
    this.ckey = ckey;
    this.setBytes = 1; // varint(0): the empty set
    this.next = new Array<SkipNode | null>(height).fill(null);
  }
}

/** The Map key of (tenant, key): the ckey as a JS string (tenant ids and keys contain no NUL). */
export function mapKeyOf(tenantId: string, key: string): string {
  return `${tenantId}\u0000${key}`;
}

export function encodeCkey(tenantId: string, key: string): Buffer {
  return Buffer.from(mapKeyOf(tenantId, key), 'utf8');
}

/** Encoded length of a version set (§1: count varint | count × (len varint | version)). */
export function versionSetSize(vs: readonly Version[]): number {
  let n = varintSize(vs.length);
  for (const v of vs) {
    const len = encodedVersionSize(v);
    n += varintSize(len) + len;
  }
  return n;
}

function hasLive(vs: readonly Version[]): boolean {
  for (const v of vs) if (!v.tombstone) return true;
  return false;
}

/** A precomputed Reduce result: applies when the entry still holds `base` (saves a second Reduce on the hot path). */
export interface MergeHint {
  readonly base: readonly Version[];
  readonly next: readonly Version[];
}

export class Memtable {
  readonly #head = new SkipNode('', '', Buffer.alloc(0), MAX_HEIGHT);
  readonly #update = new Array<SkipNode>(MAX_HEIGHT);
  readonly #map = new Map<string, SkipNode>();
  readonly #random: () => number;
  #height = 1;
  #bytes = 0;
  #liveKeys = 0;
  #tombstoneKeys = 0;

  /** @param random source of [0, 1) for node heights (injectable for deterministic tests). */
  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** Accounted size in bytes (§3 formula). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of keys (any versions). */
  get size(): number {
    return this.#map.size;
  }

  /** Keys with at least one live (non-tombstone) version. */
  get liveKeys(): number {
    return this.#liveKeys;
  }

  /** Keys whose versions are all tombstones. */
  get tombstoneKeys(): number {
    return this.#tombstoneKeys;
  }

  get(tenantId: string, key: string): MemEntry | undefined {
    return this.#map.get(mapKeyOf(tenantId, key));
  }

  getByMapKey(mapKey: string): MemEntry | undefined {
    return this.#map.get(mapKey);
  }

  /**
   * Merges versions and write-id pairs into the entry of (tenantId, key): versions = Reduce(entry ∪ incoming),
   * wids = union (24 h, 32 newest). Returns the entry.
   */
  merge(
    tenantId: string,
    key: string,
    incoming: readonly Version[],
    wids: readonly WriteIdEntry[],
    nowMs: number,
    hint?: MergeHint,
  ): MemEntry {
    const mk = mapKeyOf(tenantId, key);
    let node = this.#map.get(mk);
    if (!node) {
      node = this.#insert(tenantId, key, encodeCkey(tenantId, key));
      this.#map.set(mk, node);
      this.#bytes += node.ckey.length + node.setBytes + ENTRY_OVERHEAD;
    }
    const old = node.versions;
    let next: readonly Version[];
    if (hint && hint.base === old) next = hint.next;
    else if (old.length === 0 && incoming.length === 1) next = incoming;
    else next = reduce(old.length === 0 ? incoming : [...old, ...incoming]);
    if (next !== old) {
      const wasLive = hasLive(old);
      const wasDead = old.length > 0 && !wasLive;
      const isLive = hasLive(next);
      const isDead = next.length > 0 && !isLive;
      this.#liveKeys += (isLive ? 1 : 0) - (wasLive ? 1 : 0);
      this.#tombstoneKeys += (isDead ? 1 : 0) - (wasDead ? 1 : 0);
      const setBytes = versionSetSize(next);
      this.#bytes += setBytes - node.setBytes;
      node.setBytes = setBytes;
      node.versions = next;
    }
    if (wids.length > 0 || node.wids.length > 0) node.wids = mergeWriteIds(node.wids, wids, nowMs);
    return node;
  }

  /** Entries in ckey order. */
  *[Symbol.iterator](): IterableIterator<MemEntry> {
    for (let x = this.#head.next[0]!; x; x = x.next[0]!) yield x;
  }

  /**
   * Entries in ckey order from the first ckey ≥ `from` (> `from` when `exclusive`). Safe while writes continue (the
   * skip list only gains nodes; a key inserted behind the cursor is not seen, one ahead of it is).
   */
  *entriesFrom(from: Buffer | undefined, exclusive = false): IterableIterator<MemEntry> {
    let prev: SkipNode = this.#head;
    if (from) {
      for (let i = this.#height - 1; i >= 0; i--) {
        let n: SkipNode | null | undefined = prev.next[i];
        while (n && compareBytes(n.ckey, 0, n.ckey.length, from, 0, from.length) < 0) {
          prev = n;
          n = prev.next[i];
        }
      }
    }
    let x: SkipNode | null | undefined = prev.next[0];
    if (from && exclusive && x && x.ckey.equals(from)) x = x.next[0];
    for (; x; x = x.next[0]) yield x;
  }

  #randomHeight(): number {
    let h = 1;
    while (h < MAX_HEIGHT && this.#random() < P) h++;
    return h;
  }

  /** Links a new node; the caller guarantees the key is absent (the Map is checked first). */
  #insert(tenantId: string, key: string, ckey: Buffer): SkipNode {
    const update = this.#update;
    let x = this.#head;
    for (let i = this.#height - 1; i >= 0; i--) {
      let n = x.next[i];
      // A JS byte loop: Buffer.compare's native call costs more than comparing these short keys (measured: the
      // insert was ~1/3 of a random no-sync write).
      while (n && compareBytes(n.ckey, 0, n.ckey.length, ckey, 0, ckey.length) < 0) {
        x = n;
        n = x.next[i];
      }
      update[i] = x;
    }
    const h = this.#randomHeight();
    if (h > this.#height) {
      for (let i = this.#height; i < h; i++) update[i] = this.#head;
      this.#height = h;
    }
    const node = new SkipNode(tenantId, key, ckey, h);
    for (let i = 0; i < h; i++) {
      node.next[i] = update[i]!.next[i]!;
      update[i]!.next[i] = node;
    }
    return node;
  }
}
