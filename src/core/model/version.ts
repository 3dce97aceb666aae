import { type Clock, compareClocks, compareUtf8, counterOf } from './vector-clock.js';
import { encodeVersion } from './version-codec.js';

/**
 * One write's result, made by a coordinator and stored verbatim (cluster.md §5, storage-engine.md §1).
 * Identity = (clock, write_id).
 */
export interface Version {
  readonly clock: Clock;
  /** UTF-8 JSON bytes; empty for a tombstone. */
  readonly value: Buffer;
  readonly tombstone: boolean;
  /** Set by the coordinator for tenants in `lww` mode. */
  readonly lww: boolean;
  /** floor(clock[writerId] / 1000). */
  readonly timestampMs: number;
  readonly writerId: string;
  /** 16 bytes from the coordinator (0..255 allowed), lets it spot a replay. */
  readonly writeId: Buffer;
}

/** ht = the version's clock entry for its writer (full precision). */
export function hybridTime(v: Version): number {
  return counterOf(v.clock, v.writerId);
}

/**
 * The total LWW order (storage-engine.md §1): larger ht, then larger writer_id bytes, then tombstone over
 * value, then larger value bytes, then larger write_id, then larger clock encoding. > 0 when a wins.
 */
export function compareLww(a: Version, b: Version): number {
  const ha = hybridTime(a);
  const hb = hybridTime(b);
  if (ha !== hb) return ha > hb ? 1 : -1;
  const w = compareUtf8(a.writerId, b.writerId);
  if (w !== 0) return w;
  if (a.tombstone !== b.tombstone) return a.tombstone ? 1 : -1;
  const v = Buffer.compare(a.value, b.value);
  if (v !== 0) return v;
  const id = Buffer.compare(a.writeId, b.writeId);
  if (id !== 0) return id;
  return Buffer.compare(encodeClockOnly(a.clock), encodeClockOnly(b.clock));
}

function encodeClockOnly(c: Clock): Buffer {
  // Only reached for two versions equal in everything but the clock: rare, so no caching.
  return encodeVersion({ clock: c, value: Buffer.alloc(0), tombstone: true, lww: false, timestampMs: 0, writerId: '', writeId: Buffer.alloc(0) });
}

/** The LWW-greatest of a non-empty list. */
export function lwwMax(vs: readonly Version[]): Version {
  let best = vs[0]!;
  for (let i = 1; i < vs.length; i++) if (compareLww(vs[i]!, best) > 0) best = vs[i]!;
  return best;
}

/**
 * Reduce(S), the only merge rule (storage-engine.md §1): drop byte-identical duplicates, drop versions whose clock
 * is strictly dominated, keep the LWW-max among equal clocks, collapse to the LWW-max if any survivor is `lww`,
 * and return the survivors in canonical (encoding) order.
 */
export function reduce(vs: readonly Version[]): Version[] {
  if (vs.length <= 1) return vs.slice();
  const survivors: Version[] = [];
  outer: for (let i = 0; i < vs.length; i++) {
    const v = vs[i]!;
    for (let j = 0; j < vs.length; j++) {
      if (i === j) continue;
      const o = vs[j]!;
      const order = compareClocks(v.clock, o.clock);
      if (order === 'BEFORE') continue outer; // strictly dominated
      if (order === 'EQUAL') {
        const c = compareLww(o, v);
        // Of equal clocks the LWW-max stays; of byte-identical ones (c === 0) the first occurrence stays.
        if (c > 0 || (c === 0 && j < i)) continue outer;
      }
    }
    survivors.push(v);
  }
  if (survivors.some((v) => v.lww)) return [lwwMax(survivors)];
  if (survivors.length > 1) {
    const enc = new Map<Version, Buffer>(survivors.map((v) => [v, encodeVersion(v)]));
    survivors.sort((a, b) => Buffer.compare(enc.get(a)!, enc.get(b)!));
  }
  return survivors;
}

/** Whether two reduced sets are the same set (identity by encoding). */
export function sameVersionSet(a: readonly Version[], b: readonly Version[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !encodeVersion(a[i]!).equals(encodeVersion(b[i]!))) return false;
  return true;
}
