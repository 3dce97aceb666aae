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
