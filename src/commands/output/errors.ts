import { PairdbError } from '../../core/errors.js';
import type { OutputFormat } from './context.js';

/**
 * The error report of every command (cli-and-ops.md §1): one stderr line `pairdb: error: <CODE>: <message>
 * (request <id>)`, optionally `pairdb: hint: …`; with `-o json|ndjson` one JSON object instead. The exit code comes
 * from ERROR_MAP through `PairdbError.exitCode`, nothing else picks it.
 */
export function renderError(err: PairdbError, format: OutputFormat, debug = false): string {
  let out: string;
  if (format === 'json' || format === 'ndjson') {
    const obj: Record<string, unknown> = {
      status: 'error',
      error_code: err.code,
      message: err.message,
      request_id: err.requestId ?? null,
      exit_code: err.exitCode,
    };
    if (err.outcome) obj.outcome = err.outcome;
    if (err.hint) obj.hint = err.hint;
    out = `${JSON.stringify(obj)}\n`;
  } else {
    const rid = err.requestId ? ` (request ${err.requestId})` : '';
    out = `pairdb: error: ${err.code}: ${err.message}${rid}\n`;
    if (err.hint) out += `pairdb: hint: ${err.hint}\n`;
  }
  if (debug) out += stackText(err);
  return out;
}

/** Stacks are for `--debug` only; the cause chain shows where a wrapped error began. */
function stackText(err: unknown): string {
  let out = '';
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    out += `${depth === 0 ? '' : 'caused by: '}${e.stack ?? e.message}\n`;
    e = e.cause;
  }
  return out;
}

/** A copy of `err` with a hint (PairdbError fields are read-only). */
export function withHint(err: PairdbError, hint: string): PairdbError {
  const copy = new PairdbError(err.code, err.message, {
    outcome: err.outcome,
    hint,
    requestId: err.requestId,
    retryAfterSeconds: err.retryAfterSeconds,
    cause: err.cause,
  });
  return copy;
}
