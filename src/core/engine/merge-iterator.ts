import { PairdbError } from '../errors.js';
import { type Version, reduce } from '../model/version.js';
import { NO_WRITE_IDS, type WriteIdEntry, mergeWriteIds } from './write-ids.js';

/**
 * The k-way merge of storage-engine.md §6 "Merge" (also the ordered merge scan of §8): a binary min-heap of source
 * cursors by `Buffer.compare` on ckey. Per ckey the output is Reduce(union of the sources' sets) with the write-id
 * lists unioned (§13), then an optional purge (tombstone GC, see tombstone-purge.ts); a key the purge empties is
 * omitted, because a table never holds an empty set (§4).
 *
 * Pure: sources are sync iterables (a memtable, arrays) or async iterables (SSTableReader.entries()), each in
 * strictly increasing ckey order with Reduce-d sets. A source that repeats or goes back a ckey is corrupt: the merge
 * throws MergeOrderError rather than emit a wrong order, which would make the output table unreadable.
 */

export interface MergeEntry {
  readonly ckey: Buffer;
  /** Non-empty, Reduce-d (memtables and tables only hold such sets). */
  readonly versions: readonly Version[];
  readonly wids?: readonly WriteIdEntry[];
}

export interface MergedEntry {
  readonly ckey: Buffer;
  readonly versions: readonly Version[];
  readonly wids: readonly WriteIdEntry[];
}

export type MergeSource = Iterable<MergeEntry> | AsyncIterable<MergeEntry>;

/** Given a key and its Reduce-d set, returns what survives (a subset); returning the same array means "unchanged". */
export type PurgeFn = (ckey: Buffer, versions: readonly Version[]) => readonly Version[];

export interface MergeOptions {
  /** Tombstone GC applied after Reduce (tombstone-purge.ts `tombstonePurge`). */
  readonly purge?: PurgeFn;
  /** Clock for the 24 h write-id expiry (§13); default Date.now() once when the merge starts. */
  readonly nowMs?: number;
  /** Names sources in errors (e.g. the table paths); default `source <i>`. */
  readonly sourceNames?: readonly string[];
}

/** A source yielded a ckey not strictly after its previous one. Code CORRUPT_FILE (DataLoss, exit 7). */
export class MergeOrderError extends PairdbError {
  readonly source: number;
  constructor(source: number, name: string, prev: Buffer, next: Buffer) {
    super(
      'CORRUPT_FILE',
      `merge: ${name} is out of key order: ${next.toString('hex')} after ${prev.toString('hex')}`,
    );
    this.source = source;
  }
}

interface Cursor {
  readonly index: number;
  readonly it: Iterator<MergeEntry> | AsyncIterator<MergeEntry>;
  head: MergeEntry | undefined;
}

function isAsync(s: MergeSource): s is AsyncIterable<MergeEntry> {
  return typeof (s as AsyncIterable<MergeEntry>)[Symbol.asyncIterator] === 'function';
}

/** Heap order: ckey, then source index (so equal keys pop in source order: deterministic output). */
function less(a: Cursor, b: Cursor): boolean {
  const c = Buffer.compare(a.head!.ckey, b.head!.ckey);
  return c < 0 || (c === 0 && a.index < b.index);
}

class CursorHeap {
  readonly items: Cursor[] = [];

  get size(): number {
    return this.items.length;
  }

  push(c: Cursor): void {
    const h = this.items;
    h.push(c);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  pop(): Cursor {
    const h = this.items;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  peek(): Cursor | undefined {
    return this.items[0];
  }
}

/** Shared by the async and sync drivers: folds the popped heads of one ckey into one output entry. */
function combine(group: readonly MergeEntry[], nowMs: number, purge: PurgeFn | undefined): MergedEntry | undefined {
  const first = group[0]!;
  let versions: readonly Version[];
  let wids: readonly WriteIdEntry[] = first.wids ?? NO_WRITE_IDS;
  if (group.length === 1) {
    // One contributor: its set is already Reduce-d (a source invariant), so Reduce would return it unchanged.
    versions = first.versions;
    if (wids.length > 0) wids = mergeWriteIds(NO_WRITE_IDS, wids, nowMs);
  } else {
    const all: Version[] = [];
    for (const e of group) for (const v of e.versions) all.push(v);
    versions = reduce(all);
    wids = NO_WRITE_IDS;
    for (const e of group) if (e.wids && e.wids.length > 0) wids = mergeWriteIds(wids, e.wids, nowMs);
  }
  if (purge) versions = purge(first.ckey, versions);
  if (versions.length === 0) return undefined;
  return { ckey: first.ckey, versions, wids };
}

function checkOrder(c: Cursor, prev: Buffer, names: readonly string[] | undefined): void {
  if (c.head && Buffer.compare(c.head.ckey, prev) <= 0) {
    throw new MergeOrderError(c.index, names?.[c.index] ?? `source ${c.index}`, prev, c.head.ckey);
  }
}

/**
 * Merges sources in ckey order (async: works for any mix of sync and async sources). Source iterators are closed
 * (`return()`) when the consumer stops early or an error is thrown.
 */
export async function* mergeIterator(sources: readonly MergeSource[], opts: MergeOptions = {}): AsyncGenerator<MergedEntry> {
  const nowMs = opts.nowMs ?? Date.now();
  const cursors: Cursor[] = sources.map((s, index) => ({
    index,
    it: isAsync(s) ? s[Symbol.asyncIterator]() : s[Symbol.iterator](),
    head: undefined,
  }));
  const heap = new CursorHeap();
  const advance = async (c: Cursor): Promise<void> => {
    const r = c.it.next();
    const res = r instanceof Promise ? await r : (r as IteratorResult<MergeEntry>);
    c.head = res.done ? undefined : res.value;
  };
  try {
    for (const c of cursors) {
      await advance(c);
      if (c.head) heap.push(c);
    }
    const group: MergeEntry[] = [];
    while (heap.size > 0) {
      group.length = 0;
      const ckey = heap.peek()!.head!.ckey;
      while (heap.size > 0 && heap.peek()!.head!.ckey.equals(ckey)) {
        const c = heap.pop();
        group.push(c.head!);
        await advance(c);
        checkOrder(c, ckey, opts.sourceNames);
        if (c.head) heap.push(c);
      }
      const out = combine(group, nowMs, opts.purge);
      if (out) yield out;
    }
  } finally {
    await Promise.allSettled(cursors.map((c) => c.it.return?.()));
  }
}

/** The same merge for sync sources only (memtables, arrays); no promise per key. */
export function* mergeIteratorSync(sources: readonly Iterable<MergeEntry>[], opts: MergeOptions = {}): Generator<MergedEntry> {
  const nowMs = opts.nowMs ?? Date.now();
  const cursors: Cursor[] = sources.map((s, index) => ({ index, it: s[Symbol.iterator](), head: undefined }));
  const heap = new CursorHeap();
  const advance = (c: Cursor): void => {
    const res = (c.it as Iterator<MergeEntry>).next();
    c.head = res.done ? undefined : res.value;
  };
  try {
    for (const c of cursors) {
      advance(c);
      if (c.head) heap.push(c);
    }
    const group: MergeEntry[] = [];
    while (heap.size > 0) {
      group.length = 0;
      const ckey = heap.peek()!.head!.ckey;
      while (heap.size > 0 && heap.peek()!.head!.ckey.equals(ckey)) {
        const c = heap.pop();
        group.push(c.head!);
        advance(c);
        checkOrder(c, ckey, opts.sourceNames);
        if (c.head) heap.push(c);
      }
      const out = combine(group, nowMs, opts.purge);
      if (out) yield out;
    }
  } finally {
    for (const c of cursors) (c.it as Iterator<MergeEntry>).return?.();
  }
}
