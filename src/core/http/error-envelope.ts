import { ERROR_MAP, PairdbError, type ErrorCode, type Outcome } from '../errors.js';

/**
 * The error envelope of http-api.md §1.5 and the choice of code and status for anything that failed.
 * Only the codes of §10 (and the 409s of rpc.md §3) reach HTTP clients; anything else is INTERNAL_ERROR.
 */

const HTTP_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_REQUEST',
  'INVALID_REPLICATION_FACTOR',
  'IDEMPOTENCY_KEY_CONFLICT',
  'NODE_IN_USE',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'ROUTE_NOT_FOUND',
  'TENANT_NOT_FOUND',
  'KEY_NOT_FOUND',
  'NODE_NOT_FOUND',
  'MIGRATION_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'REQUEST_TIMEOUT',
  'TENANT_EXISTS',
  'NODE_EXISTS',
  'IDEMPOTENCY_KEY_IN_USE',
  'SIBLING_LIMIT_EXCEEDED',
  'TOPOLOGY_CHANGE_IN_PROGRESS',
  'REPAIR_IN_PROGRESS',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMIT_EXCEEDED',
  'HEADERS_TOO_LARGE',
  'INTERNAL_ERROR',
  'QUORUM_NOT_REACHED',
  'SERVICE_UNAVAILABLE',
  'TIMEOUT',
]);

/** Codes whose answers carry `Retry-After: 1` (§3.1, §10). */
const RETRY_AFTER_ONE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'QUORUM_NOT_REACHED',
  'SERVICE_UNAVAILABLE',
  'IDEMPOTENCY_KEY_IN_USE',
]);

/**
 * Normalizes anything thrown on the request path into an HTTP-facing PairdbError. Non-pairDB errors (bugs) become
 * INTERNAL_ERROR with a fixed message so that no stack or internal detail reaches the client.
 */
export function toApiError(err: unknown): PairdbError {
  if (!(err instanceof PairdbError)) return new PairdbError('INTERNAL_ERROR', 'internal error', { cause: err });
  if (HTTP_CODES.has(err.code)) return err;
  const code: ErrorCode = err.code === 'NOT_READY' ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_ERROR';
  return new PairdbError(code, code === 'SERVICE_UNAVAILABLE' ? 'service unavailable' : 'internal error', {
    outcome: err.outcome,
    cause: err,
  });
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_MAP[code].http;
}

export function retryAfterOne(code: ErrorCode): boolean {
  return RETRY_AFTER_ONE.has(code);
}

export interface EnvelopeExtras {
  /** On 5xx to mutations. */
  readonly outcome?: Outcome | undefined;
  /** On 5xx to POST /v1/key-value. */
  readonly idempotencyKey?: string | undefined;
  /** On 429. */
  readonly retryAfterSeconds?: number | undefined;
}

/** `{"status":"error","error_code",…,"request_id"[,"outcome"][,"idempotency_key"][,"retry_after_seconds"]}` */
export function errorJson(code: ErrorCode, message: string, requestId: string, extras?: EnvelopeExtras): string {
  let out =
    '{"status":"error","error_code":"' +
    code +
    '","message":' +
    JSON.stringify(message) +
    ',"request_id":' +
    JSON.stringify(requestId);
  if (extras) {
    if (extras.outcome !== undefined) out += ',"outcome":"' + extras.outcome + '"';
    if (extras.idempotencyKey !== undefined) out += ',"idempotency_key":' + JSON.stringify(extras.idempotencyKey);
    if (extras.retryAfterSeconds !== undefined) out += ',"retry_after_seconds":' + String(extras.retryAfterSeconds);
  }
  return out + '}';
}

const MUTATIONS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isMutation(method: string): boolean {
  return MUTATIONS.has(method);
}

/**
 * `outcome` of a 5xx to a mutation (§1.5): TIMEOUT is always "unknown"; "not_applied" only when the mutation never
 * left the gateway or the coordinator said so; otherwise "unknown".
 */
export function outcomeOf(err: PairdbError, mutationSent: boolean): Outcome {
  if (err.code === 'TIMEOUT') return 'unknown';
  if (err.outcome === 'not_applied' || !mutationSent) return 'not_applied';
  return 'unknown';
}
