/**
 * Vector clocks (cluster.md §5, storage-engine.md §1). A clock is a list of (actor, counter) entries sorted by
 * actor bytes, counters 1..2^53-1 (exact as JS numbers, so no BigInt on the hot path), zeros omitted.
 */
export interface ClockEntry {
  readonly actor: string;
  readonly counter: number;
}

export type Clock = readonly ClockEntry[];

export type ClockOrder = 'EQUAL' | 'BEFORE' | 'AFTER' | 'CONCURRENT';

export const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

/** Compares strings by their UTF-8 bytes (= code point order), the order of every on-disk and wire sort. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, which sort after 0xE000-0xFFFF in UTF-8.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Builds a clock from a plain object or entries, sorting and dropping zeros. */
export function clockFrom(input: Record<string, number> | Iterable<ClockEntry>): Clock {
  const entries: ClockEntry[] = [];
  if (Symbol.iterator in Object(input)) {
    for (const e of input as Iterable<ClockEntry>) if (e.counter > 0) entries.push({ actor: e.actor, counter: e.counter });
  } else {
    for (const [actor, counter] of Object.entries(input as Record<string, number>)) {
      if (counter > 0) entries.push({ actor, counter });
    }
  }
  entries.sort((x, y) => compareUtf8(x.actor, y.actor));
  return entries;
}

/** The clock as a plain object with keys in ascending code-unit order (http-api.md §1.2). */
export function clockToObject(c: Clock): Record<string, number> {
  const out: Record<string, number> = {};
  const sorted = [...c].sort((x, y) => (x.actor < y.actor ? -1 : x.actor > y.actor ? 1 : 0));
  for (const e of sorted) out[e.actor] = e.counter;
  return out;
}

/** The counter of `actor` in `c` (0 when absent). */
export function counterOf(c: Clock, actor: string): number {
  for (const e of c) if (e.actor === actor) return e.counter;
  return 0;
}

/** compare(a, b) over the union of actors, missing = 0 (cluster.md §5). */
export function compareClocks(a: Clock, b: Clock): ClockOrder {
  let aBigger = false;
  let bBigger = false;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const ea = a[i];
    const eb = b[j];
    const cmp = ea === undefined ? 1 : eb === undefined ? -1 : compareUtf8(ea.actor, eb.actor);
    if (cmp === 0) {
      if (ea!.counter > eb!.counter) aBigger = true;
      else if (ea!.counter < eb!.counter) bBigger = true;
      i++;
      j++;
    } else if (cmp < 0) {
      aBigger = true;
      i++;
    } else {
      bBigger = true;
      j++;
    }
    if (aBigger && bBigger) return 'CONCURRENT';
  }
  if (aBigger) return 'AFTER';
  if (bBigger) return 'BEFORE';
  return 'EQUAL';
}

/** Element-wise max. */
export function mergeClocks(a: Clock, b: Clock): Clock {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: ClockEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const ea = a[i];
    const eb = b[j];
    const cmp = ea === undefined ? 1 : eb === undefined ? -1 : compareUtf8(ea.actor, eb.actor);
    if (cmp === 0) {
      out.push(ea!.counter >= eb!.counter ? ea! : eb!);
      i++;
      j++;
    } else if (cmp < 0) {
      out.push(ea!);
      i++;
    } else {
      out.push(eb!);
      j++;
    }
  }
  return out;
}

export function mergeAll(clocks: Iterable<Clock>): Clock {
  let acc: Clock = [];
  for (const c of clocks) acc = mergeClocks(acc, c);
  return acc;
}

/** The largest counter of any actor (0 for the empty clock). */
export function maxCounter(c: Clock): number {
  let m = 0;
  for (const e of c) if (e.counter > m) m = e.counter;
  return m;
}

/** Returns `c` with `actor` set to `counter` (kept sorted). */
export function withCounter(c: Clock, actor: string, counter: number): Clock {
  const out: ClockEntry[] = [];
  let placed = false;
  for (const e of c) {
    if (!placed && compareUtf8(actor, e.actor) <= 0) {
      out.push({ actor, counter });
      placed = true;
      if (e.actor === actor) continue;
    }
    out.push(e);
  }
  if (!placed) out.push({ actor, counter });
  return out;
}
