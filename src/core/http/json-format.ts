/**
 * Hand-built JSON fragments for the response shapes whose member order a plain object cannot guarantee
 * (http-api.md §1.2): `vector_clock` keys in ascending code-unit order even when an actor looks like an integer
 * ("7" would otherwise jump to the front) or is named `__proto__`.
 */

export interface WireClockEntry {
  readonly actor: string;
  readonly counter: string | number;
}

function byActor(a: WireClockEntry, b: WireClockEntry): number {
  return a.actor < b.actor ? -1 : a.actor > b.actor ? 1 : 0;
}

/** `{"a":1,"b":2}` from wire entries (uint64 counters as decimal strings); null/absent → `{}`. */
export function clockJson(clock: { readonly entries: readonly WireClockEntry[] } | null | undefined): string {
  const entries = clock?.entries;
  if (!entries || entries.length === 0) return '{}';
  let sorted = entries;
  for (let i = 1; i < entries.length; i++) {
    if (entries[i - 1]!.actor >= entries[i]!.actor) {
      sorted = [...entries].sort(byActor);
      break;
    }
  }
  let out = '{';
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    if (i > 0) out += ',';
    out += JSON.stringify(e.actor) + ':' + String(e.counter);
  }
  return out + '}';
}

/** ISO-8601 UTC `YYYY-MM-DDTHH:mm:ss.sssZ` (§1.4) of unix ms; 0 / empty (unknown) → null. */
export function isoOrNull(ms: string | number | null | undefined): string | null {
  const n = Number(ms);
  if (!Number.isFinite(n) || n <= 0) return null;
  return new Date(n).toISOString();
}

/** ISO-8601 of unix ms, epoch for 0. */
export function iso(ms: string | number): string {
  const n = Number(ms);
  return new Date(Number.isFinite(n) && n > 0 ? n : 0).toISOString();
}
