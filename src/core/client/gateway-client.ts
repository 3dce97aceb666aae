import { randomUUID } from 'node:crypto';
import { Pool, type Dispatcher } from 'undici';
import { PairdbError, isErrorCode, type ErrorCode, type Outcome } from '../errors.js';
import type {
  Consistency,
  CreateTenantInput,
  DeleteBody,
  ErrorEnvelope,
  GetBody,
  MigrationBody,
  NodeChangeBody,
  NodeListBody,
  PutBody,
  ReplicationChangeBody,
  TenantBody,
  TenantListBody,
  UpdateTenantInput,
  VectorClockJson,
} from './api-types.js';

/** One finished HTTP call, for `--debug` (cli-and-ops.md §1: each call's status, duration and request id). */
export interface CallEvent {
  method: string;
  path: string;
  status: number | null;
  durationMs: number;
  requestId: string;
  errorCode?: string;
}

export interface GatewayClientOptions {
  /** Gateway base URL, e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  url: string;
  /** Per-request timeout (cli-and-ops.md §1 `--timeout`). */
  timeoutMs: number;
  /** Bearer token, sent as `Authorization` when set. */
  token?: string;
  onCall?: (event: CallEvent) => void;
}

export interface PutInput {
  tenant: string;
  key: string;
  value: unknown;
  consistency?: Consistency;
  idempotencyKey: string;
  vectorClock?: VectorClockJson;
}

export interface KeyInput {
  tenant: string;
  key: string;
  consistency?: Consistency;
}

export interface DeleteInput extends KeyInput {
  vectorClock?: VectorClockJson;
}

export interface AddNodeInput {
  node_id: string;
  host: string;
  port: number;
  virtual_nodes?: number;
}

/** The HTTP status a gateway answers when its envelope carries no code we know (http-api.md §10). */
function codeForHttpStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'INVALID_REQUEST';
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'ROUTE_NOT_FOUND';
    case 405:
      return 'METHOD_NOT_ALLOWED';
    case 408:
      return 'REQUEST_TIMEOUT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 429:
      return 'RATE_LIMIT_EXCEEDED';
    case 431:
      return 'HEADERS_TOO_LARGE';
    case 503:
      return 'SERVICE_UNAVAILABLE';
    case 504:
      return 'TIMEOUT';
    default:
      return 'INTERNAL_ERROR';
  }
}

/** Turns a non-2xx answer into a PairdbError carrying the API's code, request id and outcome. */
export function errorFromResponse(status: number, bodyText: string, headerRequestId: string | undefined): PairdbError {
  let env: Partial<ErrorEnvelope> = {};
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) env = parsed as Partial<ErrorEnvelope>;
  } catch {
    // Not an envelope (a proxy's HTML page, say): the status alone decides.
  }
  const code =
    typeof env.error_code === 'string' && isErrorCode(env.error_code) ? env.error_code : codeForHttpStatus(status);
  const message = typeof env.message === 'string' && env.message ? env.message : `gateway answered HTTP ${status}`;
  const outcome = env.outcome === 'unknown' || env.outcome === 'not_applied' ? env.outcome : undefined;
  return new PairdbError(code, message, {
    outcome,
    requestId: typeof env.request_id === 'string' ? env.request_id : headerRequestId,
    retryAfterSeconds: typeof env.retry_after_seconds === 'number' ? env.retry_after_seconds : undefined,
  });
}

/** Socket errors that prove the request never left this process (nothing can have been applied). */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function errnoOf(err: unknown): string | undefined {
  let e: unknown = err;
  // undici wraps the socket error; AggregateError (happy eyeballs) holds several.
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    const inner = (e as { errors?: unknown[] }).errors?.[0] ?? (e as { cause?: unknown }).cause;
    if (inner === undefined) return typeof code === 'string' ? code : undefined;
    e = inner;
  }
  return undefined;
}

/**
 * Client of the gateway HTTP API (undici). Every method resolves with the exact response body and rejects with a
 * PairdbError: the API's `error_code` for error envelopes, CONNECTION_FAILED when the gateway cannot be reached,
 * TIMEOUT when `timeoutMs` passes (outcome `unknown` for mutations that may have been sent).
 */
export class GatewayClient {
  readonly url: string;
  readonly #pool: Pool;
  readonly #prefix: string;
  readonly #opts: GatewayClientOptions;

  constructor(opts: GatewayClientOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new PairdbError('USAGE', `invalid --url ${JSON.stringify(opts.url)}`, { hint: 'e.g. --url http://127.0.0.1:8080' });
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new PairdbError('USAGE', `invalid --url ${JSON.stringify(opts.url)}: only http and https are supported`);
    }
    this.url = opts.url;
    this.#opts = opts;
    this.#prefix = u.pathname.replace(/\/+$/, '');
    this.#pool = new Pool(u.origin, { connections: 8, pipelining: 1 });
  }

  put(input: PutInput): Promise<PutBody> {
    const body: Record<string, unknown> = { tenant_id: input.tenant, key: input.key, value: input.value };
    if (input.consistency) body.consistency = input.consistency;
    if (input.vectorClock) body.vector_clock = input.vectorClock;
    return this.#call('POST', '/v1/key-value', body, true, { 'idempotency-key': input.idempotencyKey });
  }

  get(input: KeyInput): Promise<GetBody> {
    const q = new URLSearchParams({ tenant_id: input.tenant, key: input.key });
    if (input.consistency) q.set('consistency', input.consistency);
    return this.#call('GET', `/v1/key-value?${q.toString()}`, undefined, false);
  }

  delete(input: DeleteInput): Promise<DeleteBody> {
    const body: Record<string, unknown> = { tenant_id: input.tenant, key: input.key };
    if (input.consistency) body.consistency = input.consistency;
    if (input.vectorClock) body.vector_clock = input.vectorClock;
    return this.#call('DELETE', '/v1/key-value', body, true);
  }

  createTenant(input: CreateTenantInput): Promise<TenantBody> {
    return this.#call('POST', '/v1/tenants', input, true);
  }

  getTenant(tenantId: string): Promise<TenantBody> {
    return this.#call('GET', `/v1/tenants/${encodeURIComponent(tenantId)}`, undefined, false);
  }

  listTenants(opts: { limit?: number; cursor?: string } = {}): Promise<TenantListBody> {
    const q = new URLSearchParams();
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    if (opts.cursor) q.set('cursor', opts.cursor);
    const qs = q.toString();
    return this.#call('GET', `/v1/tenants${qs ? `?${qs}` : ''}`, undefined, false);
  }

  updateTenant(tenantId: string, patch: UpdateTenantInput): Promise<TenantBody> {
    return this.#call('PATCH', `/v1/tenants/${encodeURIComponent(tenantId)}`, patch, true);
  }

  updateReplicationFactor(tenantId: string, replicationFactor: number): Promise<ReplicationChangeBody> {
    return this.#call(
      'PUT',
      `/v1/tenants/${encodeURIComponent(tenantId)}/replication-factor`,
      { replication_factor: replicationFactor },
      true,
    );
  }

  listNodes(): Promise<NodeListBody> {
    return this.#call('GET', '/v1/admin/storage-nodes', undefined, false);
  }

  addNode(input: AddNodeInput): Promise<NodeChangeBody> {
    return this.#call('POST', '/v1/admin/storage-nodes', input, true);
  }

  removeNode(nodeId: string, force: boolean): Promise<NodeChangeBody> {
    return this.#call('DELETE', `/v1/admin/storage-nodes/${encodeURIComponent(nodeId)}?force=${force}`, undefined, true);
  }

  getMigration(migrationId: string): Promise<MigrationBody> {
    return this.#call('GET', `/v1/admin/migrations/${encodeURIComponent(migrationId)}`, undefined, false);
  }

  cluster(): Promise<Record<string, unknown>> {
    return this.#call('GET', '/v1/admin/cluster', undefined, false);
  }

  /** `GET /ready`: true on 200. Rejects only when the gateway cannot be reached. */
  async ready(): Promise<boolean> {
    try {
      await this.#call('GET', '/ready', undefined, false);
      return true;
    } catch (err) {
      if (err instanceof PairdbError && err.code !== 'CONNECTION_FAILED' && err.code !== 'TIMEOUT') return false;
      throw err;
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }

  async #call<T>(
    method: Dispatcher.HttpMethod,
    path: string,
    body: unknown,
    mutation: boolean,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    const requestId = randomUUID();
    const headers: Record<string, string> = { 'x-request-id': requestId, accept: 'application/json', ...extraHeaders };
    if (this.#opts.token) headers.authorization = `Bearer ${this.#opts.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const started = performance.now();
    const timeoutMs = this.#opts.timeoutMs;
    const report = (status: number | null, errorCode?: string): void =>
      this.#opts.onCall?.({ method, path, status, durationMs: performance.now() - started, requestId, errorCode });
    let res: Dispatcher.ResponseData;
    let text: string;
    try {
      res = await this.#pool.request({
        path: this.#prefix + path,
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      text = await res.body.text();
    } catch (err) {
      const e = this.#transportError(err, mutation, requestId);
      report(null, e.code);
      throw e;
    }
    const headerId = res.headers['x-request-id'];
    if (res.statusCode >= 200 && res.statusCode < 300) {
      report(res.statusCode);
      try {
        return (text ? JSON.parse(text) : {}) as T;
      } catch (err) {
        throw new PairdbError('INTERNAL_ERROR', `gateway answered HTTP ${res.statusCode} with a body that is not JSON`, {
          cause: err,
          requestId,
        });
      }
    }
    const e = errorFromResponse(res.statusCode, text, typeof headerId === 'string' ? headerId : requestId);
    report(res.statusCode, e.code);
    throw e;
  }

  #transportError(err: unknown, mutation: boolean, requestId: string): PairdbError {
    const name = (err as { name?: unknown })?.name;
    const code = errnoOf(err);
    if (
      name === 'TimeoutError' ||
      name === 'AbortError' ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_ABORTED'
    ) {
      if (code !== 'UND_ERR_CONNECT_TIMEOUT') {
        const outcome: Outcome | undefined = mutation ? 'unknown' : undefined;
        return new PairdbError('TIMEOUT', `no answer from ${this.url} within ${this.#opts.timeoutMs} ms`, {
          outcome,
          cause: err,
          requestId,
        });
      }
    }
    const neverSent = code !== undefined && NEVER_SENT.has(code);
    const detail = code ?? (err instanceof Error ? err.message : String(err));
    return new PairdbError('CONNECTION_FAILED', `cannot reach the gateway at ${this.url} (${detail})`, {
      outcome: mutation ? (neverSent ? 'not_applied' : 'unknown') : undefined,
      hint: neverSent ? 'is a gateway running there? start a local cluster with `npx pairdb up`, or pass --url' : undefined,
      cause: err,
    });
  }
}
