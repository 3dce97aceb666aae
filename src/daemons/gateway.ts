import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { isIPv4 } from 'node:net';
import type { Duplex } from 'node:stream';
import { PairdbError } from '../core/errors.js';
import { BodyAbortedError, checkDeclaredLength, hasBody, readBody } from '../core/http/body-reader.js';
import { CoordinatorPool } from '../core/http/coordinator-pool.js';
import {
  errorJson,
  httpStatusOf,
  isMutation,
  outcomeOf,
  retryAfterOne,
  toApiError,
  type EnvelopeExtras,
} from '../core/http/error-envelope.js';
import { GatewayApi, arrivalIdempotencyKey, missingBody, type Exchange, type HeaderBag } from '../core/http/gateway-api.js';
import { GatewayMetrics } from '../core/http/gateway-metrics.js';
import { assertJsonContentType, decodeJsonObject } from '../core/http/json-body.js';
import { pickRequestId } from '../core/http/request-id.js';
import { matchRoute, splitTarget, type RouteDef } from '../core/http/router.js';
import type { JsonObject } from '../core/http/validation.js';
import { closeServer, startAdminServer } from '../core/observability/admin-server.js';
import type { Logger } from '../core/observability/logger.js';
import { RateLimiter } from '../core/ratelimit/rate-limiter.js';
import { TenantLimitsCache } from '../core/ratelimit/tenant-limits.js';
import { CoordinatorClient } from '../core/rpc/clients.js';

/**
 * `pairdb gateway`: the HTTP/JSON API of http-api.md in front of the coordinators. This file wires sockets,
 * lifecycle and the request pipeline of §1.7 (steps 1-5 here, 6-10 in GatewayApi); the rules live in core/http.
 */

export type AuthMode = 'none' | 'token';

export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  /** Admin HTTP port (/livez /readyz /metrics); null = off. */
  readonly adminPort: number | null;
  readonly coordinators: readonly string[];
  readonly rateLimit: boolean;
  readonly rateLimitWrites: number;
  readonly rateLimitReads: number;
  readonly coordinatorTimeoutMs: number;
  readonly coordinatorRetries: number;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxBodyBytes: number;
  readonly shutdownTimeoutMs: number;
  readonly tenantCacheTtlMs: number;
  readonly slowRequestMs: number;
  readonly authMode: AuthMode;
  readonly insecure: boolean;
  /** Coordinator health probe period and deadline (http-api.md §9: 2 s / 1 s). */
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
}

/** Defaults of cli-and-ops.md §4 (gateway). */
export const GATEWAY_DEFAULTS: GatewayConfig = {
  host: '127.0.0.1',
  port: 8080,
  adminPort: 9100,
  coordinators: ['127.0.0.1:50051'],
  rateLimit: true,
  rateLimitWrites: 1000,
  rateLimitReads: 10_000,
  coordinatorTimeoutMs: 8000,
  coordinatorRetries: 2,
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5000,
  maxBodyBytes: 2 * 1024 * 1024,
  shutdownTimeoutMs: 30_000,
  tenantCacheTtlMs: 5 * 60_000,
  slowRequestMs: 1000,
  authMode: 'none',
  insecure: false,
  probeIntervalMs: 2000,
  probeTimeoutMs: 1000,
};

const JSON_TYPE = 'application/json; charset=utf-8';
const HEALTH_BODY = '{"status":"ok"}';
const MAX_HEADER_BYTES = 16_384;
const EJECT_MS = 10_000;
/** After the last in-flight answer, how long sockets may take to close on their own before they are cut. */
const DRAIN_GRACE_MS = 1000;
const WARN_PER_SECOND = 20;

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const VERSION = readVersion();

/** §2.1: 127.0.0.0/8, ::1 and localhost are loopback; 0.0.0.0 and :: are not. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h === 'localhost' || h === '::1') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (h.toLowerCase().startsWith('::ffff:')) return isIPv4(h.slice(7)) && h.slice(7).startsWith('127.');
  return false;
}

function validate(config: GatewayConfig): void {
  const listener = `${config.host}:${config.port}`;
  if (config.authMode === 'token') {
    // JWT (http-api.md §2.2) arrives with a later issue; until then the only way to serve beyond loopback is none.
    throw new PairdbError(
      'USAGE',
      `auth mode "token" (the default on a non-loopback listener such as ${listener}) is not supported yet; ` +
        'listen on loopback, or pass --insecure to serve without authentication',
    );
  }
  if (config.authMode !== 'none') throw new PairdbError('USAGE', `unknown auth mode ${JSON.stringify(config.authMode)}`);
  if (!isLoopbackHost(config.host) && !config.insecure) {
    throw new PairdbError(
      'USAGE',
      `auth mode "none" on the non-loopback listener ${listener} requires --insecure (anyone who can reach it gets full access)`,
    );
  }
  if (config.coordinators.length === 0) throw new PairdbError('USAGE', 'at least one coordinator address is required');
  if (config.coordinatorTimeoutMs >= config.requestTimeoutMs) {
    throw new PairdbError('USAGE', 'coordinator-timeout must be below request-timeout (a slow backend answers 504)');
  }
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    throw new PairdbError('USAGE', 'headers-timeout must not exceed request-timeout');
  }
  if (config.rateLimitWrites < 1 || config.rateLimitReads < 1) {
    throw new PairdbError('USAGE', 'rate-limit-writes and rate-limit-reads must be at least 1');
  }
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

export class GatewayDaemon {
  readonly #config: GatewayConfig;
  readonly #log: Logger;
  readonly #debug: boolean;
  #server: Server | undefined;
  #admin: Server | undefined;
  #port = 0;
  #adminPort: number | null = null;
  #pool: CoordinatorPool<CoordinatorClient> | undefined;
  #api: GatewayApi | undefined;
  #metrics: GatewayMetrics | undefined;
  #limiter: RateLimiter | undefined;
  #tenantLimits: TenantLimitsCache | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #draining = false;
  #warnSecond = 0;
  #warnCount = 0;
  #warnSuppressed = 0;
  #stopped: Promise<boolean> | undefined;
  /** Sockets already answered by the clientError path (their in-flight request must not answer again). */
  readonly #answered = new WeakSet<Duplex>();

  constructor(config: GatewayConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
    this.#debug = log.isLevelEnabled('debug');
  }

  /** The bound API port (after start). */
  get port(): number {
    return this.#port;
  }

  /** The bound admin port, or null when off. */
  get adminPort(): number | null {
    return this.#adminPort;
  }

  /** `http://host:port` of the API listener. */
  get url(): string {
    const h = this.#config.host.includes(':') ? `[${this.#config.host}]` : this.#config.host;
    return `http://${h}:${this.#port}`;
  }

  async start(): Promise<void> {
    const c = this.#config;
    validate(c);
    const metrics = new GatewayMetrics(VERSION, () => this.#readiness().ready);
    this.#metrics = metrics;
    const clients = c.coordinators.map((a) => new CoordinatorClient(a));
    const pool = new CoordinatorPool(clients, {
      retries: c.coordinatorRetries,
      probeIntervalMs: c.probeIntervalMs,
      probeTimeoutMs: c.probeTimeoutMs,
      ejectMs: EJECT_MS,
      timeoutMs: c.coordinatorTimeoutMs,
      onCall: (rpc, code, s) => metrics.coordinatorCall(rpc, code, s),
      onHealth: (address, healthy) => {
        metrics.coordinatorUp(address, healthy);
        if (healthy) this.#log.info({ coordinator: address }, 'coordinator healthy');
        else this.#log.warn({ coordinator: address }, 'coordinator failed its health probe');
      },
    });
    this.#pool = pool;
    this.#limiter = c.rateLimit ? new RateLimiter() : undefined;
    this.#tenantLimits = new TenantLimitsCache(GatewayApi.fetchLimits(pool), c.tenantCacheTtlMs);
    this.#api = new GatewayApi({
      pool,
      limiter: this.#limiter,
      tenantLimits: this.#tenantLimits,
      defaultWritesPerMinute: c.rateLimitWrites,
      defaultReadsPerMinute: c.rateLimitReads,
      coordinatorTimeoutMs: c.coordinatorTimeoutMs,
      version: VERSION,
      onRateLimited: (cls) => metrics.rateLimited(cls),
    });

    const server = createServer({
      maxHeaderSize: MAX_HEADER_BYTES,
      requestTimeout: c.requestTimeoutMs,
      headersTimeout: c.headersTimeoutMs,
      keepAliveTimeout: c.keepAliveTimeoutMs,
      // Receipt timeouts are enforced by this periodic check (Node's default of 30 s would overshoot §1.6's 10 s).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(c.headersTimeoutMs, c.requestTimeoutMs) / 4))),
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#serve(req, res, false));
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => this.#serve(req, res, true));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.#onClientError(err, socket));
    this.#server = server;
    this.#port = await listen(server, c.host, c.port, 'API');
    if (c.adminPort !== null) {
      const admin = await startAdminServer(c.host, c.adminPort, {
        readiness: () => {
          const r = this.#readiness();
          return { ready: r.ready, checks: r.checks };
        },
        metrics: () => metrics.text(),
      });
      this.#admin = admin.server;
      this.#adminPort = admin.port;
    }
    void pool.startProbing();
    this.#sweepTimer = setInterval(() => {
      this.#limiter?.sweep();
      this.#tenantLimits?.sweep();
    }, 60_000);
    this.#sweepTimer.unref();
    this.#log.info(
      {
        url: this.url,
        admin_port: this.#adminPort,
        coordinators: c.coordinators,
        rate_limit: c.rateLimit,
        auth_mode: c.authMode,
      },
      'gateway listening',
    );
  }

  /**
   * Graceful stop (cli-and-ops.md §3): /ready 503 at once, new requests 503 + Connection: close, in-flight requests
   * drain for up to shutdownTimeout; resolves false when connections had to be forced.
   */
  stop(reason: string): Promise<boolean> {
    this.#stopped ??= this.#stop(reason);
    return this.#stopped;
  }

  async #stop(reason: string): Promise<boolean> {
    this.#draining = true;
    const started = this.#server?.listening === true;
    if (started) this.#log.info({ reason }, 'gateway draining');
    let clean = true;
    const server = this.#server;
    if (server?.listening) {
      // Stops accepting and (Node ≥ 19) closes idle keep-alive sockets; answers given while draining carry
      // Connection: close, so busy sockets close themselves once their answer is flushed.
      let allClosed = false;
      const closed = new Promise<void>((resolve) =>
        server.close(() => {
          allClosed = true;
          resolve();
        }),
      );
      const deadline = Date.now() + this.#config.shutdownTimeoutMs;
      while ((this.#metrics?.inFlight ?? 0) > 0 && Date.now() < deadline) await sleep(20);
      if ((this.#metrics?.inFlight ?? 0) > 0) {
        clean = false;
        this.#log.warn({ in_flight: this.#metrics?.inFlight }, 'shutdown timeout: closing connections with requests in flight');
      } else {
        // Nothing in flight: give the last answers a moment to flush before sockets are cut.
        const graceEnd = Math.min(deadline, Date.now() + DRAIN_GRACE_MS);
        while (!allClosed && Date.now() < graceEnd) await sleep(10);
      }
      server.closeAllConnections();
      await closed;
    }
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    this.#pool?.close();
    if (this.#admin) await closeServer(this.#admin);
    if (started) this.#log.info({ clean }, 'gateway stopped');
    return clean;
  }

  #readiness(): { ready: boolean; reason: string | undefined; checks: { coordinators: { healthy: number; total: number } } } {
    const pool = this.#pool;
    const healthy = pool?.healthyCount ?? 0;
    const checks = { coordinators: { healthy, total: pool?.size ?? this.#config.coordinators.length } };
    if (this.#draining) return { ready: false, reason: 'shutting_down', checks };
    if (healthy > 0) return { ready: true, reason: undefined, checks };
    return { ready: false, reason: pool?.probed ? 'no_healthy_coordinator' : 'starting', checks };
  }

  // ---- request pipeline -------------------------------------------------------------------------------------

  /** Entry point per request; a failure while answering must not reach the process-wide fatal handler. */
  #serve(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
    this.#handle(req, res, expectContinue).catch((err: unknown) => {
      this.#log.error({ err: describeCause(err) }, 'failed to answer a request');
      if (!res.destroyed) res.destroy();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): Promise<void> {
    const started = performance.now();
    const metrics = this.#metrics!;
    metrics.requestStarted();
    const method = req.method ?? 'GET';
    const requestId = pickRequestId(req.headers['x-request-id']); // step 2
    const { path, query } = splitTarget(req.url ?? '/');
    const m = matchRoute(method, path); // step 3
    if (m.kind === 'not_found') {
      this.#sendError(req, res, started, 'unmatched', requestId, method, new PairdbError('ROUTE_NOT_FOUND', 'no such route'));
      return;
    }
    const route = m.route;
    if (m.kind === 'method_not_allowed') {
      const err = new PairdbError('METHOD_NOT_ALLOWED', `${route.template} does not serve ${method}`);
      this.#sendError(req, res, started, route.template, requestId, method, err, { Allow: route.allow });
      return;
    }
    if (route.root) {
      this.#root(req, res, started, route, requestId, method);
      return;
    }
    const ex: Exchange = {
      requestId,
      method,
      route,
      param: m.param,
      rawQuery: query,
      headers: req.headers,
      outHeaders: undefined,
      mutationSent: false,
      idempotencyKey: method === 'POST' && route.name === 'kv' ? arrivalIdempotencyKey(req.headers) : undefined,
    };
    if (this.#draining) {
      const err = new PairdbError('SERVICE_UNAVAILABLE', 'the gateway is shutting down');
      this.#sendExchangeError(req, res, started, ex, err);
      return;
    }
    let body: JsonObject | undefined;
    try {
      body = await this.#readJsonBody(req, res, method, expectContinue); // step 5
    } catch (err) {
      if (err instanceof BodyAbortedError) {
        this.#abandon(req, res, started, route.template, method);
        return;
      }
      // A body refused for its size is left unread: the connection cannot be reused (§1.6).
      this.#sendExchangeError(req, res, started, ex, err, err instanceof PairdbError && err.code === 'PAYLOAD_TOO_LARGE');
      return;
    }
    try {
      const reply = await this.#api!.handle(ex, body);
      const headers: OutgoingHttpHeaders = {
        'Content-Type': JSON_TYPE,
        'Content-Length': Buffer.byteLength(reply.body),
        'Cache-Control': 'no-store',
        'X-Request-ID': requestId,
      };
      if (ex.outHeaders !== undefined) Object.assign(headers, ex.outHeaders);
      if (reply.headers !== undefined) Object.assign(headers, reply.headers);
      this.#finish(req, res, started, route.template, method, reply.status, headers, reply.body);
    } catch (err) {
      this.#sendExchangeError(req, res, started, ex, err);
    }
  }

  /** Step 5: size (413), Content-Type (415), UTF-8/JSON/object (400). GET bodies are size-checked, then ignored. */
  async #readJsonBody(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    expectContinue: boolean,
  ): Promise<JsonObject | undefined> {
    const limit = this.#config.maxBodyBytes;
    if (!hasBody(req)) {
      if (method === 'POST' || method === 'PUT' || method === 'PATCH') throw missingBody();
      return undefined;
    }
    checkDeclaredLength(req, limit);
    if (expectContinue) res.writeContinue();
    const buf = await readBody(req, limit);
    if (method === 'GET' || buf.length === 0) {
      if (method === 'POST' || method === 'PUT' || method === 'PATCH') throw missingBody();
      return undefined;
    }
    assertJsonContentType(req.headers['content-type']);
    return decodeJsonObject(buf);
  }

  /** /health, /ready, /metrics: no auth, no rate limit, query ignored. */
  #root(req: IncomingMessage, res: ServerResponse, started: number, route: RouteDef, requestId: string, method: string): void {
    if (route.name === 'metrics') {
      const metrics = this.#metrics!;
      metrics.text().then(
        (text) =>
          this.#finish(req, res, started, route.template, method, 200, {
            'Content-Type': metrics.contentType,
            'Content-Length': Buffer.byteLength(text),
            'Cache-Control': 'no-store',
            'X-Request-ID': requestId,
          }, text),
        (err: unknown) => this.#sendError(req, res, started, route.template, requestId, method, err),
      );
      return;
    }
    let status = 200;
    let body = HEALTH_BODY;
    if (route.name === 'ready') {
      const r = this.#readiness();
      status = r.ready ? 200 : 503;
      body = r.ready
        ? JSON.stringify({ status: 'ready', checks: r.checks })
        : JSON.stringify({ status: 'not_ready', reason: r.reason, checks: r.checks });
    }
    this.#finish(req, res, started, route.template, method, status, {
      'Content-Type': JSON_TYPE,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'X-Request-ID': requestId,
    }, body);
  }

  #sendExchangeError(
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    ex: Exchange,
    err: unknown,
    close = false,
  ): void {
    this.#sendError(req, res, started, ex.route.template, ex.requestId, ex.method, err, ex.outHeaders, close, ex);
  }

  /** The error envelope (§1.5) with its conditional members and headers. */
  #sendError(
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    routeLabel: string,
    requestId: string,
    method: string,
    err: unknown,
    extraHeaders?: HeaderBag,
    close = false,
    ex?: Exchange,
  ): void {
    const e = toApiError(err);
    const status = httpStatusOf(e.code);
    let extras: EnvelopeExtras | undefined;
    if (status >= 500 && isMutation(method)) {
      extras = { outcome: outcomeOf(e, ex?.mutationSent ?? false), idempotencyKey: ex?.idempotencyKey };
    } else if (e.code === 'RATE_LIMIT_EXCEEDED') {
      extras = { retryAfterSeconds: e.retryAfterSeconds };
    }
    const body = errorJson(e.code, e.message, requestId, extras);
    const headers: OutgoingHttpHeaders = {
      'Content-Type': JSON_TYPE,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'X-Request-ID': requestId,
    };
    if (extraHeaders !== undefined) Object.assign(headers, extraHeaders);
    if (retryAfterOne(e.code) && headers['Retry-After'] === undefined) headers['Retry-After'] = 1;
    if (close) headers['Connection'] = 'close';
    if (status >= 500 && this.#warnBudget()) {
      this.#log.warn(
        { req_id: requestId, method, route: routeLabel, status, code: e.code, err: describeCause(err) },
        'request failed',
      );
    }
    this.#finish(req, res, started, routeLabel, method, status, headers, body);
  }

  #finish(
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    routeLabel: string,
    method: string,
    status: number,
    headers: OutgoingHttpHeaders,
    body: string,
  ): void {
    if (this.#draining) headers['Connection'] = 'close';
    if (res.headersSent || res.destroyed || this.#answered.has(req.socket)) {
      this.#abandon(req, res, started, routeLabel, method);
      return;
    }
    res.writeHead(status, headers);
    res.end(method === 'HEAD' ? undefined : body);
    const seconds = (performance.now() - started) / 1000;
    this.#metrics!.requestFinished(method, routeLabel, status, seconds);
    if (this.#debug) {
      this.#log.debug({ req_id: headers['X-Request-ID'], method, route: routeLabel, status, ms: seconds * 1000 }, 'request');
    }
    if (seconds * 1000 > this.#config.slowRequestMs && this.#warnBudget()) {
      this.#log.warn({ req_id: headers['X-Request-ID'], method, route: routeLabel, status, ms: Math.round(seconds * 1000) }, 'slow request');
    }
  }

  /**
   * At most WARN_PER_SECOND failure lines per second (logs are synchronous: an outage must not turn into a logging
   * storm); the number dropped is reported with the next line that gets through.
   */
  #warnBudget(): boolean {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.#warnSecond) {
      if (this.#warnSuppressed > 0) this.#log.warn({ suppressed: this.#warnSuppressed }, 'request failure lines suppressed');
      this.#warnSecond = second;
      this.#warnCount = 0;
      this.#warnSuppressed = 0;
    }
    if (this.#warnCount < WARN_PER_SECOND) {
      this.#warnCount++;
      return true;
    }
    this.#warnSuppressed++;
    return false;
  }

  /** The client vanished (or the socket was answered elsewhere): account for the request, answer nothing. */
  #abandon(req: IncomingMessage, res: ServerResponse, started: number, routeLabel: string, method: string): void {
    const status = this.#answered.has(req.socket) ? 408 : 499;
    this.#metrics!.requestFinished(method, routeLabel, status, (performance.now() - started) / 1000);
    if (!res.destroyed) res.destroy();
  }

  /**
   * Framing errors, oversized headers and receipt timeouts (§1.6, step 1 of §1.7): 400 / 431 / 408 with a new
   * request id, then close. A response already under way cannot be replaced; the socket is just closed.
   */
  #onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    const inProgress = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || (inProgress && inProgress.headersSent)) {
      socket.destroy();
      return;
    }
    let status = 400;
    let code: 'INVALID_REQUEST' | 'HEADERS_TOO_LARGE' | 'REQUEST_TIMEOUT' = 'INVALID_REQUEST';
    let message = 'malformed HTTP request';
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      status = 431;
      code = 'HEADERS_TOO_LARGE';
      message = 'request line and headers exceed 16384 bytes';
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      status = 408;
      code = 'REQUEST_TIMEOUT';
      message = 'the request did not arrive in time';
    }
    const requestId = randomUUID();
    const body = errorJson(code, message, requestId);
    this.#answered.add(socket);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\n` +
        `Content-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\n` +
        `X-Request-ID: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
    // The peer may keep sending; give it a moment to read the answer, then drop the connection.
    setTimeout(() => socket.destroy(), 1000).unref();
    if (!inProgress) this.#metrics?.observeRequest('other', 'unmatched', status, 0);
  }
}

function describeCause(err: unknown): string {
  if (err instanceof PairdbError) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.code}: ${err.message}${cause}`;
  }
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function listen(server: Server, host: string, port: number, what: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new PairdbError(err.code === 'EADDRINUSE' ? 'ADDRESS_IN_USE' : 'INTERNAL_ERROR', `${what} port ${host}:${port}: ${err.message}`, {
          hint: err.code === 'EADDRINUSE' ? 'pick another --port' : undefined,
          cause: err,
        }),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}
