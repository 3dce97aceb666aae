import { PairdbError } from '../errors.js';
import type * as pb from '../rpc/types.js';
import { clockJson } from './json-format.js';
import { consistencyFromWire, type ConsistencyLevel } from './validation.js';

/** Response bodies of the data plane (http-api.md §3, §4.3), compact and in the documented member order. */

/** `X-Idempotency-Status` of a successful POST (§5). */
export function idempotencyStatus(r: pb.WriteKeyValueResponse__Output): 'recorded' | 'replayed' | 'bypassed' {
  if (r.is_duplicate) return 'replayed';
  if (r.idempotency_bypassed) return 'bypassed';
  return 'recorded';
}

export function writeResponseJson(
  key: string,
  idempotencyKey: string,
  requested: ConsistencyLevel,
  r: pb.WriteKeyValueResponse__Output,
): string {
  return (
    '{"status":"success","key":' +
    JSON.stringify(key) +
    ',"idempotency_key":' +
    JSON.stringify(r.idempotency_key || idempotencyKey) +
    ',"vector_clock":' +
    clockJson(r.vector_clock) +
    ',"replica_count":' +
    String(r.replica_count) +
    ',"consistency":"' +
    consistencyFromWire(r.consistency, requested) +
    '","is_duplicate":' +
    String(r.is_duplicate === true) +
    '}'
  );
}

export function deleteResponseJson(key: string, r: pb.DeleteKeyValueResponse__Output): string {
  return (
    '{"status":"success","key":' +
    JSON.stringify(key) +
    ',"vector_clock":' +
    clockJson(r.vector_clock) +
    ',"replica_count":' +
    String(r.replica_count) +
    '}'
  );
}

/** Stored bytes back to compact JSON text; bytes that are not JSON break the §4.4 invariant → 500. */
function valueJson(bytes: Buffer): string {
  try {
    return JSON.stringify(JSON.parse(bytes.toString('utf8')));
  } catch {
    throw new PairdbError('INTERNAL_ERROR', 'the stored value is not valid JSON');
  }
}

/**
 * GET body. Siblings (siblings mode, ≥ 2 concurrent versions) keep the coordinator's LWW-rank order; a sibling with
 * no bytes is a tombstone (every JSON serialization is at least one byte), shown as `{"deleted":true,…}`.
 */
export function readResponseJson(key: string, r: pb.ReadKeyValueResponse__Output): string {
  let out =
    '{"status":"success","key":' +
    JSON.stringify(key) +
    ',"value":' +
    valueJson(r.value) +
    ',"vector_clock":' +
    clockJson(r.vector_clock);
  if (r.siblings.length > 1) {
    out += ',"siblings":[';
    for (let i = 0; i < r.siblings.length; i++) {
      const s = r.siblings[i]!;
      if (i > 0) out += ',';
      out +=
        s.value.length === 0
          ? '{"deleted":true,"vector_clock":' + clockJson(s.vector_clock) + '}'
          : '{"value":' + valueJson(s.value) + ',"vector_clock":' + clockJson(s.vector_clock) + '}';
    }
    out += ']';
  }
  return out + '}';
}
