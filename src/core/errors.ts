import { status as GrpcStatus } from '@grpc/grpc-js';
import { EXIT } from './exit-codes.js';

/**
 * The one table of pairDB error codes (http-api.md §10, rpc.md §3, cli-and-ops.md §1).
 * Codes are a contract: add, never rename. Nothing else picks an HTTP status, a gRPC code or an exit code.
 */
export const ERROR_MAP = {
  INVALID_REQUEST: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, exit: EXIT.USAGE },
  INVALID_REPLICATION_FACTOR: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, exit: EXIT.USAGE },
  IDEMPOTENCY_KEY_CONFLICT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, exit: EXIT.CONFLICT },
  NODE_IN_USE: { http: 400, grpc: GrpcStatus.FAILED_PRECONDITION, exit: EXIT.CONFLICT },
  UNAUTHORIZED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED, exit: EXIT.AUTH },
  FORBIDDEN: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED, exit: EXIT.AUTH },
  ROUTE_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND, exit: EXIT.NOT_FOUND },
  TENANT_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND, exit: EXIT.NOT_FOUND },
  KEY_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND, exit: EXIT.NOT_FOUND },
  NODE_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND, exit: EXIT.NOT_FOUND },
  MIGRATION_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND, exit: EXIT.NOT_FOUND },
  METHOD_NOT_ALLOWED: { http: 405, grpc: GrpcStatus.UNIMPLEMENTED, exit: EXIT.USAGE },
  REQUEST_TIMEOUT: { http: 408, grpc: GrpcStatus.DEADLINE_EXCEEDED, exit: EXIT.UNAVAILABLE },
  TENANT_EXISTS: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS, exit: EXIT.CONFLICT },
  NODE_EXISTS: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS, exit: EXIT.CONFLICT },
  IDEMPOTENCY_KEY_IN_USE: { http: 409, grpc: GrpcStatus.ABORTED, exit: EXIT.CONFLICT },
  SIBLING_LIMIT_EXCEEDED: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, exit: EXIT.CONFLICT },
  TOPOLOGY_CHANGE_IN_PROGRESS: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, exit: EXIT.CONFLICT },
  REPAIR_IN_PROGRESS: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, exit: EXIT.CONFLICT },
  PAYLOAD_TOO_LARGE: { http: 413, grpc: GrpcStatus.INVALID_ARGUMENT, exit: EXIT.USAGE },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, grpc: GrpcStatus.INVALID_ARGUMENT, exit: EXIT.USAGE },
  RATE_LIMIT_EXCEEDED: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED, exit: EXIT.UNAVAILABLE },
  HEADERS_TOO_LARGE: { http: 431, grpc: GrpcStatus.INVALID_ARGUMENT, exit: EXIT.USAGE },
  INTERNAL_ERROR: { http: 500, grpc: GrpcStatus.INTERNAL, exit: EXIT.ERROR },
  QUORUM_NOT_REACHED: { http: 503, grpc: GrpcStatus.UNAVAILABLE, exit: EXIT.UNAVAILABLE },
  SERVICE_UNAVAILABLE: { http: 503, grpc: GrpcStatus.UNAVAILABLE, exit: EXIT.UNAVAILABLE },
  TIMEOUT: { http: 504, grpc: GrpcStatus.DEADLINE_EXCEEDED, exit: EXIT.UNAVAILABLE },
  // Storage-level codes (rpc.md §3); never shown to HTTP clients as such.
  STALE_TOPOLOGY: { http: 503, grpc: GrpcStatus.FAILED_PRECONDITION, exit: EXIT.UNAVAILABLE },
  DISK_FULL: { http: 503, grpc: GrpcStatus.RESOURCE_EXHAUSTED, exit: EXIT.UNAVAILABLE },
  DISK_THROTTLED: { http: 503, grpc: GrpcStatus.RESOURCE_EXHAUSTED, exit: EXIT.UNAVAILABLE },
  // storage-engine.md §3: the write queue is over write_queue_bytes (a local name; rpc.md only fixes the status).
  WRITE_QUEUE_FULL: { http: 503, grpc: GrpcStatus.RESOURCE_EXHAUSTED, exit: EXIT.UNAVAILABLE },
  CHECKSUM_MISMATCH: { http: 500, grpc: GrpcStatus.DATA_LOSS, exit: EXIT.CORRUPTION },
  NOT_READY: { http: 503, grpc: GrpcStatus.UNAVAILABLE, exit: EXIT.UNAVAILABLE },
  STREAM_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND, exit: EXIT.NOT_FOUND },
  // rpc.md §6 StartStreaming: past 4 outgoing streams (a local name; rpc.md only fixes RESOURCE_EXHAUSTED).
  STREAM_LIMIT_EXCEEDED: { http: 503, grpc: GrpcStatus.RESOURCE_EXHAUSTED, exit: EXIT.UNAVAILABLE },
  // Storage admin RPCs (rpc.md §6 Compact/Snapshot fix only the gRPC status; these are the local names).
  COMPACTION_IN_PROGRESS: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, exit: EXIT.CONFLICT },
  SNAPSHOT_EXISTS: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS, exit: EXIT.CONFLICT },
  SNAPSHOT_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND, exit: EXIT.NOT_FOUND },
  UNIMPLEMENTED: { http: 501, grpc: GrpcStatus.UNIMPLEMENTED, exit: EXIT.ERROR },
  // Local CLI / daemon codes (cli-and-ops.md §1).
  USAGE: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, exit: EXIT.USAGE },
  CONFIG_INVALID: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, exit: EXIT.USAGE },
  CONNECTION_FAILED: { http: 503, grpc: GrpcStatus.UNAVAILABLE, exit: EXIT.UNAVAILABLE },
  FILE_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND, exit: EXIT.NOT_FOUND },
  DATA_DIR_LOCKED: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, exit: EXIT.CONFLICT },
  ADDRESS_IN_USE: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, exit: EXIT.CONFLICT },
  CORRUPT_FILE: { http: 500, grpc: GrpcStatus.DATA_LOSS, exit: EXIT.CORRUPTION },
  // cluster.md §2: a storage node last alive longer than gc_grace ago refuses to start (local daemon code).
  NODE_STALE: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, exit: EXIT.CONFLICT },
  INTERRUPTED: { http: 500, grpc: GrpcStatus.CANCELLED, exit: EXIT.INTERRUPTED },
} as const satisfies Record<string, { http: number; grpc: GrpcStatus; exit: number }>;

export type ErrorCode = keyof typeof ERROR_MAP;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_MAP, code);
}

/** Whether a failed mutation may have taken effect (http-api.md §1.5, cluster.md §6 step 11). */
export type Outcome = 'not_applied' | 'unknown';

export interface PairdbErrorOptions {
  outcome?: Outcome;
  hint?: string;
  requestId?: string;
  /** Extra members of the error envelope, e.g. retry_after_seconds. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** The one error class of pairDB: a stable `code` plus a human message. */
export class PairdbError extends Error {
  readonly code: ErrorCode;
  readonly outcome: Outcome | undefined;
  readonly hint: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  requestId: string | undefined;

  constructor(code: ErrorCode, message: string, opts: PairdbErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PairdbError';
    this.code = code;
    this.outcome = opts.outcome;
    this.hint = opts.hint;
    this.requestId = opts.requestId;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }

  get httpStatus(): number {
    return ERROR_MAP[this.code].http;
  }

  get grpcCode(): GrpcStatus {
    return ERROR_MAP[this.code].grpc;
  }

  get exitCode(): number {
    return ERROR_MAP[this.code].exit;
  }

  /** Wraps anything thrown into a PairdbError (unknown errors become INTERNAL_ERROR). */
  static from(err: unknown): PairdbError {
    if (err instanceof PairdbError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new PairdbError('INTERNAL_ERROR', message, { cause: err });
  }
}

/**
 * The API code a bare gRPC status maps to when the peer sent no `pairdb-error-code` trailer
 * (http-api.md §10 last paragraph).
 */
export function codeForGrpcStatus(code: number): ErrorCode {
  switch (code) {
    case GrpcStatus.DEADLINE_EXCEEDED:
      return 'TIMEOUT';
    case GrpcStatus.UNAVAILABLE:
      return 'SERVICE_UNAVAILABLE';
    case GrpcStatus.INVALID_ARGUMENT:
      return 'INVALID_REQUEST';
    case GrpcStatus.UNAUTHENTICATED:
      return 'UNAUTHORIZED';
    case GrpcStatus.PERMISSION_DENIED:
      return 'FORBIDDEN';
    case GrpcStatus.UNIMPLEMENTED:
      return 'UNIMPLEMENTED';
    default:
      return 'INTERNAL_ERROR';
  }
}
