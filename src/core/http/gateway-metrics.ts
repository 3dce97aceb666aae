import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The gateway's Prometheus metrics (http-api.md §9, cli-and-ops.md §5), one Registry per daemon instance.
 * Label children are cached so the hot path does one Map lookup per metric instead of prom-client's label hashing.
 * No label carries a tenant id or key; `route` is the template or `unmatched`.
 */

// 0.5 ms … 10 s (cli-and-ops.md §5)
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export class GatewayMetrics {
  readonly registry: Registry;
  readonly #requests: Counter<'method' | 'route' | 'status'>;
  readonly #duration: Histogram<'method' | 'route'>;
  readonly #inFlight: Gauge;
  readonly #rateLimited: Counter<'class'>;
  readonly #coordinatorCalls: Counter<'rpc' | 'code'>;
  readonly #coordinatorDuration: Histogram<'rpc'>;
  readonly #coordinatorUp: Gauge<'coordinator'>;
  readonly #requestChildren = new Map<string, Counter.Internal>();
  readonly #durationChildren = new Map<string, Histogram.Internal<'method' | 'route'>>();
  readonly #callChildren = new Map<string, Counter.Internal>();
  readonly #callDurationChildren = new Map<string, Histogram.Internal<'rpc'>>();
  #inFlightCount = 0;

  constructor(version: string, isReady: () => boolean) {
    const registry = new Registry();
    this.registry = registry;
    collectDefaultMetrics({ register: registry, prefix: 'pairdb_' });
    new Gauge({ name: 'pairdb_build_info', help: 'Build information.', labelNames: ['version', 'daemon'], registers: [registry] })
      .labels(version, 'gateway')
      .set(1);
    new Gauge({
      name: 'pairdb_ready',
      help: '1 when the gateway is ready (GET /ready answers 200).',
      registers: [registry],
      collect() {
        this.set(isReady() ? 1 : 0);
      },
    });
    this.#requests = new Counter({
      name: 'pairdb_gateway_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    this.#duration = new Histogram({
      name: 'pairdb_gateway_http_request_duration_seconds',
      help: 'HTTP request duration from arrival to the last byte handed to the socket.',
      labelNames: ['method', 'route'],
      buckets: BUCKETS,
      registers: [registry],
    });
    const self = this;
    this.#inFlight = new Gauge({
      name: 'pairdb_gateway_http_requests_in_flight',
      help: 'HTTP requests being processed.',
      registers: [registry],
      collect() {
        this.set(self.#inFlightCount);
      },
    });
    this.#rateLimited = new Counter({
      name: 'pairdb_gateway_rate_limited_total',
      help: 'Requests refused with 429, by class.',
      labelNames: ['class'],
      registers: [registry],
    });
    this.#coordinatorCalls = new Counter({
      name: 'pairdb_gateway_coordinator_calls_total',
      help: 'Calls to coordinators, by RPC and result code (OK or the pairDB error code).',
      labelNames: ['rpc', 'code'],
      registers: [registry],
    });
    this.#coordinatorDuration = new Histogram({
      name: 'pairdb_gateway_coordinator_call_duration_seconds',
      help: 'Duration of one coordinator call attempt.',
      labelNames: ['rpc'],
      buckets: BUCKETS,
      registers: [registry],
    });
    this.#coordinatorUp = new Gauge({
      name: 'pairdb_gateway_coordinator_up',
      help: '1 when the coordinator passed its latest health probe.',
      labelNames: ['coordinator'],
      registers: [registry],
    });
  }

  get inFlight(): number {
    return this.#inFlightCount;
  }

  requestStarted(): void {
    this.#inFlightCount++;
  }

  /** One answered request; `route` is a template or `unmatched`. */
  requestFinished(method: string, route: string, status: number, seconds: number): void {
    this.#inFlightCount--;
    this.observeRequest(method, route, status, seconds);
  }

  /** A request answered outside the normal path (e.g. a framing error): counted, never in flight. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const m = KNOWN_METHODS.has(method) ? method : 'other';
    const key = m + ' ' + route;
    const ckey = key + ' ' + status;
    let c = this.#requestChildren.get(ckey);
    if (c === undefined) {
      c = this.#requests.labels(m, route, String(status));
      this.#requestChildren.set(ckey, c);
    }
    c.inc();
    let h = this.#durationChildren.get(key);
    if (h === undefined) {
      h = this.#duration.labels(m, route);
      this.#durationChildren.set(key, h);
    }
    h.observe(seconds);
  }

  rateLimited(cls: 'read' | 'write'): void {
    this.#rateLimited.labels(cls).inc();
  }

  coordinatorCall(rpc: string, code: string, seconds: number): void {
    const key = rpc + ' ' + code;
    let c = this.#callChildren.get(key);
    if (c === undefined) {
      c = this.#coordinatorCalls.labels(rpc, code);
      this.#callChildren.set(key, c);
    }
    c.inc();
    let h = this.#callDurationChildren.get(rpc);
    if (h === undefined) {
      h = this.#coordinatorDuration.labels(rpc);
      this.#callDurationChildren.set(rpc, h);
    }
    h.observe(seconds);
  }

  coordinatorUp(address: string, up: boolean): void {
    this.#coordinatorUp.labels(address).set(up ? 1 : 0);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return 'text/plain; version=0.0.4; charset=utf-8';
  }
}
