import { type Clock, compareClocks, counterOf } from '../model/vector-clock.js';

/**
 * The actor a `siblings`-mode write with a client context increments (decision in docs/DECISIONS.md).
 *
 * cluster.md §5 increments the context at the coordinator's own actor. With one coordinator that new entry
 * exceeds the coordinator's entry in every stored version, so a write made from a stale context (`{}` or an
 * old read) would strictly dominate versions it never saw and erase them: siblings mode would lose concurrent
 * updates, against http-api.md §4.2 ("`{}` … adds a sibling") and invariant 2 of cluster.md §16.
 *
 * So when stored versions are not covered by the context, the dot goes to an actor on which none of them
 * alone exceeds the context: `self` when possible, else `self.1`, `self.2`, … A version v then stays
 * concurrent with the new one, since it still exceeds the context on an actor the new clock leaves at the
 * context's value. Covered versions are dominated as before, and every dot still comes from this
 * coordinator's HLC, so dots stay unique. The number of actors is bounded by the number of siblings.
 */
export function dotActor(self: string, context: Clock, stored: readonly { readonly clock: Clock }[]): string {
  const forbidden = new Set<string>();
  for (const v of stored) {
    const order = compareClocks(v.clock, context);
    if (order === 'BEFORE' || order === 'EQUAL') continue; // seen by the client: may be superseded
    let only: string | undefined;
    let exceeding = 0;
    for (const e of v.clock) {
      if (e.counter > counterOf(context, e.actor)) {
        exceeding++;
        only = e.actor;
      }
    }
    // Exceeding on two or more actors, v survives whichever one actor the new dot goes to.
    if (exceeding === 1) forbidden.add(only!);
  }
  if (!forbidden.has(self)) return self;
  for (let k = 1; ; k++) {
    // Actors are at most 128 bytes (node ids are ASCII): a long id gives up its tail to the suffix.
    const suffix = `.${k}`;
    const candidate = `${self.slice(0, 128 - suffix.length)}${suffix}`;
    if (!forbidden.has(candidate)) return candidate;
  }
}
