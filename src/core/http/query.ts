import { invalid } from './validation.js';

/**
 * Query strings of /v1 routes (http-api.md §1.1): form-urlencoded (`+` is a space), percent-decoded as UTF-8.
 * A repeated or (per route) unknown parameter is 400; malformed escapes are 400 too.
 */

export type QueryParams = ReadonlyMap<string, string>;

const EMPTY: QueryParams = new Map();

function decodeComponent(s: string): string {
  const plus = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    throw invalid('malformed percent-encoding in the query string');
  }
}

/** Parses `raw` (without the `?`); empty pieces (`a=1&&b=2`) are skipped like URLSearchParams does. */
export function parseQuery(raw: string | undefined): QueryParams {
  if (raw === undefined || raw === '') return EMPTY;
  const out = new Map<string, string>();
  for (const piece of raw.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = decodeComponent(eq < 0 ? piece : piece.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(piece.slice(eq + 1));
    if (out.has(name)) throw invalid(`query parameter ${JSON.stringify(name.slice(0, 64))} is repeated`);
    out.set(name, value);
  }
  return out;
}

/** Rejects parameters outside `allowed`. */
export function assertKnownParams(q: QueryParams, allowed: ReadonlySet<string>): void {
  for (const name of q.keys()) {
    if (!allowed.has(name)) throw invalid(`unknown query parameter ${JSON.stringify(name.slice(0, 64))}`);
  }
}
