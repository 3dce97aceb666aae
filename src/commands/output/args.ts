import { PairdbError } from '../../core/errors.js';
import type { VectorClockJson } from '../../core/client/api-types.js';

/** Argument parsing shared by the client commands; bad input is USAGE (exit 2). */

export function parseIntArg(text: string, name: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new PairdbError('USAGE', `${name} must be an integer ${min}..${max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** `--context`: the vector clock JSON `get` prints, e.g. `{"c1":3}`. */
export function parseClockArg(text: string): VectorClockJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PairdbError('USAGE', '--context is not valid JSON', { hint: `pass the vector_clock printed by get, e.g. '{"c1":3}'` });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PairdbError('USAGE', '--context must be a JSON object of actor → counter');
  }
  for (const [actor, counter] of Object.entries(parsed)) {
    if (typeof counter !== 'number' || !Number.isSafeInteger(counter) || counter < 0) {
      throw new PairdbError('USAGE', `--context: counter of ${JSON.stringify(actor)} must be a non-negative integer`);
    }
  }
  return parsed as VectorClockJson;
}

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * `--range START:END`: decimal uint64 bounds of a ring range [START, END) as on the wire (cluster.md §1): START > END
 * wraps over the top of the ring, START = END is the whole ring.
 */
export function parseRangeArg(text: string, name = '--range'): { start: string; end: string } {
  const m = /^(\d{1,20}):(\d{1,20})$/.exec(text.trim());
  const bad = (): PairdbError =>
    new PairdbError('USAGE', `${name} must be START:END, two decimal uint64 values (0..${UINT64_MAX}), got ${JSON.stringify(text)}`, {
      hint: 'e.g. --range 1139234802781762914:8875426086074265852 (START = END: the whole ring)',
    });
  if (!m) throw bad();
  const start = BigInt(m[1]!);
  const end = BigInt(m[2]!);
  if (start > UINT64_MAX || end > UINT64_MAX) throw bad();
  return { start: start.toString(), end: end.toString() };
}
