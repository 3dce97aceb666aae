import { PairdbError } from '../errors.js';
import type { CallOptions } from '../rpc/pipe.js';

/**
 * The gateway's coordinators (cli-and-ops.md §4 `coordinators`): round-robin over the healthy ones, a health probe
 * every 2 s with a 1 s deadline, a coordinator that fails a call or a probe ejected for 10 s, and the retry rule of
 * http-api.md §10: only reads, and calls that provably never reached a coordinator, go to another one, all within
 * one backend deadline. Errors leave here with generic messages on 5xx (no peer addresses reach clients).
 */

/** What the pool needs of a client (CoordinatorClient satisfies it). */
export interface PoolClient {
  readonly address: string;
  healthCheck(opts: CallOptions): Promise<string>;
  close(): void;
}

export interface PoolOptions {
  /** Extra coordinators tried after the first (cli-and-ops.md `coordinator-retries`, default 2). */
  readonly retries: number;
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly ejectMs: number;
  /** Backend deadline, for the TIMEOUT message. */
  readonly timeoutMs: number;
  readonly onCall?: (rpc: string, code: string, seconds: number) => void;
  readonly onHealth?: (address: string, healthy: boolean) => void;
  /** Called with the original error before it is sanitized (for logs). */
  readonly onFailure?: (rpc: string, address: string, err: PairdbError) => void;
}

interface Member<C> {
  readonly client: C;
  /** Latest probe result; undefined until the first probe answers. */
  healthy: boolean | undefined;
  ejectedUntil: number;
}

export class CoordinatorPool<C extends PoolClient> {
  readonly #members: Member<C>[];
  readonly #opts: PoolOptions;
  #rr = 0;
  #timer: NodeJS.Timeout | undefined;
  #probing = false;
  #probeRounds = 0;

  constructor(clients: readonly C[], opts: PoolOptions) {
    if (clients.length === 0) throw new PairdbError('USAGE', 'at least one coordinator address is required');
    this.#members = clients.map((client) => ({ client, healthy: undefined, ejectedUntil: 0 }));
    this.#opts = opts;
  }

  get size(): number {
    return this.#members.length;
  }

  /** Coordinators that passed their latest probe. */
  get healthyCount(): number {
    let n = 0;
    for (const m of this.#members) if (m.healthy === true) n++;
    return n;
  }

  /** True once every coordinator has answered (or failed) at least one probe. */
  get probed(): boolean {
    return this.#probeRounds > 0;
  }

  /** Configured coordinators in order with their latest probe result (unprobed = unhealthy). */
  health(): { address: string; healthy: boolean }[] {
    return this.#members.map((m) => ({ address: m.client.address, healthy: m.healthy === true }));
  }

  /** Starts the probe loop (first round at once); resolves after that first round. */
  startProbing(): Promise<void> {
    const first = this.probeOnce();
    this.#timer = setInterval(() => void this.probeOnce(), this.#opts.probeIntervalMs);
    this.#timer.unref();
    return first;
  }

  /** One probe round over every coordinator (skipped while the previous one still runs). */
  async probeOnce(): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    try {
      await Promise.all(
        this.#members.map(async (m) => {
          let ok = false;
          try {
            ok = (await m.client.healthCheck({ requestId: '', deadlineMs: Date.now() + this.#opts.probeTimeoutMs })) === 'SERVING';
          } catch {
            ok = false;
          }
          if (ok) m.ejectedUntil = 0;
          else m.ejectedUntil = Date.now() + this.#opts.ejectMs;
          if (m.healthy !== ok) this.#opts.onHealth?.(m.client.address, ok);
          m.healthy = ok;
        }),
      );
      this.#probeRounds++;
    } finally {
      this.#probing = false;
    }
  }

  /**
   * Runs `fn` on a coordinator. `idempotent` calls (reads) are retried on another coordinator when the first is
   * unavailable; mutations only when the error proves they were never sent (outcome not_applied).
   */
  async call<T>(rpc: string, idempotent: boolean, deadlineMs: number, fn: (client: C) => Promise<T>): Promise<T> {
    const tried: number[] = [];
    for (;;) {
      const idx = this.#pick(tried);
      const m = this.#members[idx]!;
      tried.push(idx);
      const started = performance.now();
      try {
        const res = await fn(m.client);
        this.#opts.onCall?.(rpc, 'OK', (performance.now() - started) / 1000);
        return res;
      } catch (err) {
        const e = PairdbError.from(err);
        this.#opts.onCall?.(rpc, e.code, (performance.now() - started) / 1000);
        if (e.code === 'SERVICE_UNAVAILABLE') m.ejectedUntil = Date.now() + this.#opts.ejectMs;
        const retryable = e.code === 'SERVICE_UNAVAILABLE' && (idempotent || e.outcome === 'not_applied');
        if (
          retryable &&
          tried.length <= this.#opts.retries &&
          tried.length < this.#members.length &&
          Date.now() < deadlineMs
        ) {
          continue;
        }
        this.#opts.onFailure?.(rpc, m.client.address, e);
        throw this.#sanitize(e);
      }
    }
  }

  /** Stops probing and closes every client. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const m of this.#members) m.client.close();
  }

  /** Next coordinator in round-robin order, preferring available ones not yet tried for this request. */
  #pick(tried: readonly number[]): number {
    const n = this.#members.length;
    if (n === 1) return 0;
    const start = this.#rr;
    this.#rr = (start + 1) % n;
    const now = Date.now();
    let fallback = -1;
    for (let i = 0; i < n; i++) {
      const idx = (start + i) % n;
      if (tried.includes(idx)) continue;
      const m = this.#members[idx]!;
      if (m.healthy !== false && m.ejectedUntil <= now) return idx;
      if (fallback < 0) fallback = idx;
    }
    return fallback >= 0 ? fallback : start;
  }

  #sanitize(e: PairdbError): PairdbError {
    let message: string;
    switch (e.code) {
      case 'SERVICE_UNAVAILABLE':
        message = 'no coordinator could serve the request';
        break;
      case 'TIMEOUT':
        message = `no answer within ${this.#opts.timeoutMs} ms`;
        break;
      case 'QUORUM_NOT_REACHED':
        message = 'too few replicas answered';
        break;
      case 'INTERNAL_ERROR':
        message = 'internal error';
        break;
      default:
        return e;
    }
    return new PairdbError(e.code, message, { outcome: e.outcome, cause: e });
  }
}
