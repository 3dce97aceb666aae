import * as grpc from '@grpc/grpc-js';
import { FENCE_EPOCH_TRAILER, StaleTopologyError, staleTopologyFrom } from '../cluster/topology-fence.js';
import { PairdbError, codeForGrpcStatus, isErrorCode, type Outcome } from '../errors.js';

/**
 * Data-path pipes (rpc.md §4a): one long-lived bidirectional stream per peer pair, carrying every request
 * pending in the same event-loop turn in one message. A unary call costs ~240 µs of CPU; a pipe entry ~7 µs.
 *
 * The framing is shared by the client pipe (gateway → coordinator, `ClientPipeBatch`) and the storage pipe
 * (coordinator → storage, `StoragePipeBatch`): an entry is `{id, deadline_ms, request_id, <body>: message}`,
 * where `<body>` names the oneof member (`write`, `read`, `write_ok`, `error`, …).
 */

/** What a server handler learns about one request besides its body. */
export interface RequestContext {
  readonly requestId: string;
  /** Absolute deadline, unix ms. A server MUST NOT apply a write after it. */
  readonly deadlineMs: number;
}

/** Per-call options of a pipe or unary client call. */
export interface CallOptions {
  readonly requestId: string;
  readonly deadlineMs: number;
  /** Cancels a server stream (callServerStream) when aborted, e.g. on Ctrl-C. */
  readonly signal?: AbortSignal;
}

interface WireError {
  api_code: string;
  grpc_code: number;
  message: string;
  outcome: string;
}

interface WireEntry {
  id: string | number;
  deadline_ms: string | number;
  request_id: string;
  body?: string;
  error?: WireError | null;
  [member: string]: unknown;
}

interface WireBatch {
  entries: WireEntry[];
}

type Duplex = grpc.ClientDuplexStream<WireBatch, WireBatch>;

/** Coalescing limits of rpc.md §4a. */
const MAX_ENTRIES_PER_MESSAGE = 256;
const MAX_BYTES_PER_MESSAGE = 4 * 1024 * 1024;
const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2_000;

interface Pending {
  resolve(value: unknown): void;
  reject(err: PairdbError): void;
  okMember: string;
  deadlineMs: number;
}

/**
 * Deadlines are enforced by one sweep every SWEEP_MS instead of a timer per request: a timer per request (each
 * with its own duration) cost more CPU than the pipe entry itself. A request times out at most SWEEP_MS late.
 */
const SWEEP_MS = 10;

interface Outgoing {
  entry: WireEntry;
  bytes: number;
}

/** Converts a PairdbError into the pipe's error member. */
export function toWireError(err: unknown): WireError {
  const e = PairdbError.from(err);
  return { api_code: e.code, grpc_code: e.grpcCode, message: e.message, outcome: e.outcome ?? '' };
}

/** Converts a pipe error member back into a PairdbError. */
export function fromWireError(w: WireError): PairdbError {
  const code = isErrorCode(w.api_code) ? w.api_code : codeForGrpcStatus(w.grpc_code);
  const outcome = w.outcome === 'not_applied' || w.outcome === 'unknown' ? (w.outcome as Outcome) : undefined;
  // PipeError has no trailer field: the fence travels in the message (topology-fence.ts).
  if (code === 'STALE_TOPOLOGY') return staleTopologyFrom(w.message || code, undefined, outcome);
  return new PairdbError(code, w.message || code, { outcome });
}

/**
 * The client half of a pipe. `call()` queues a request; the queue is flushed once per event-loop turn
 * (setImmediate, never a timer) in messages of ≤ 256 entries / ≤ 4 MiB.
 */
export class PipeClient {
  readonly #open: () => Duplex;
  readonly #peer: string;
  #stream: Duplex | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #queue: Outgoing[] = [];
  #flushScheduled = false;
  #retryAt = 0;
  #backoffMs = MIN_BACKOFF_MS;
  #closed = false;
  #sweeper: NodeJS.Timeout | undefined;

  /**
   * @param open opens a new bidirectional `Pipe` stream on the peer's channel.
   * @param peer address, for error messages.
   */
  constructor(open: () => Duplex, peer: string) {
    this.#open = open;
    this.#peer = peer;
  }

  /** Requests currently awaiting an answer. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * Sends one request and resolves with the `okMember` message of its answer, or rejects with a PairdbError:
   * the peer's own error, TIMEOUT at the deadline, or SERVICE_UNAVAILABLE when the pipe is broken.
   * @param sizeHint approximate encoded size of `payload`, to keep messages under 4 MiB.
   */
  call<T>(member: string, okMember: string, payload: object, opts: CallOptions, sizeHint = 0): Promise<T> {
    if (this.#closed) return Promise.reject(this.#unavailable('pipe closed'));
    const now = Date.now();
    if (now < this.#retryAt) return Promise.reject(this.#unavailable('pipe reconnecting after a failure'));
    const remaining = opts.deadlineMs - now;
    if (remaining <= 0) return Promise.reject(new PairdbError('TIMEOUT', 'deadline passed before sending'));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, okMember, deadlineMs: opts.deadlineMs });
      this.#sweeper ??= setInterval(this.#sweep, Math.min(SWEEP_MS, remaining));
      const entry: WireEntry = { id, deadline_ms: opts.deadlineMs, request_id: opts.requestId, [member]: payload };
      this.#queue.push({ entry, bytes: 64 + sizeHint });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(this.#flush);
      }
    });
  }

  /** Rejects requests whose deadline passed; stops itself when nothing is pending. */
  readonly #sweep = (): void => {
    const now = Date.now();
    for (const [id, p] of this.#pending) {
      if (p.deadlineMs <= now) {
        this.#pending.delete(id);
        p.reject(new PairdbError('TIMEOUT', `no answer from ${this.#peer} within the deadline`, { outcome: 'unknown' }));
      }
    }
    if (this.#pending.size === 0 && this.#sweeper) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  };

  /** Fails everything in flight and closes the stream. */
  close(): void {
    this.#closed = true;
    this.#stream?.cancel();
    this.#failAll('pipe closed');
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    if (queue.length === 0) return;
    let stream: Duplex;
    try {
      stream = this.#ensureStream();
    } catch (err) {
      for (const o of queue) this.#settleError(Number(o.entry.id), this.#unavailable(`cannot open pipe: ${String(err)}`));
      return;
    }
    let batch: WireEntry[] = [];
    let bytes = 0;
    for (const o of queue) {
      if (!this.#pending.has(Number(o.entry.id))) continue; // timed out while queued
      if (batch.length > 0 && (batch.length >= MAX_ENTRIES_PER_MESSAGE || bytes + o.bytes > MAX_BYTES_PER_MESSAGE)) {
        stream.write({ entries: batch });
        batch = [];
        bytes = 0;
      }
      batch.push(o.entry);
      bytes += o.bytes;
    }
    if (batch.length > 0) stream.write({ entries: batch });
  };

  #ensureStream(): Duplex {
    if (this.#stream) return this.#stream;
    const stream = this.#open();
    this.#stream = stream;
    stream.on('data', (batch: WireBatch) => {
      this.#backoffMs = MIN_BACKOFF_MS;
      for (const e of batch.entries) this.#onAnswer(e);
    });
    const broken = (why: string): void => {
      if (this.#stream !== stream) return;
      this.#stream = undefined;
      this.#retryAt = Date.now() + this.#backoffMs;
      this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
      this.#failAll(why);
    };
    stream.on('error', (err: grpc.ServiceError) => broken(`pipe to ${this.#peer} failed: ${err.details || err.message}`));
    stream.on('end', () => broken(`pipe to ${this.#peer} ended`));
    return stream;
  }

  #onAnswer(e: WireEntry): void {
    const id = Number(e.id);
    const p = this.#pending.get(id);
    if (!p) return; // already timed out
    this.#pending.delete(id);
    if (e.error) p.reject(fromWireError(e.error));
    else if (e[p.okMember] !== undefined && e[p.okMember] !== null) p.resolve(e[p.okMember]);
    else p.reject(new PairdbError('INTERNAL_ERROR', `unexpected pipe answer member ${String(e.body)}`, { outcome: 'unknown' }));
  }

  #settleError(id: number, err: PairdbError): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    p.reject(err);
  }

  #failAll(why: string): void {
    const pending = [...this.#pending.keys()];
    // A request in flight on a broken pipe may have been applied: outcome unknown (rpc.md §4a).
    for (const id of pending) this.#settleError(id, this.#unavailable(why, 'unknown'));
  }

  #unavailable(why: string, outcome: Outcome = 'not_applied'): PairdbError {
    return new PairdbError('SERVICE_UNAVAILABLE', why, { outcome });
  }
}

/** A server-side handler of one pipe entry: returns the answer member and message, or throws a PairdbError. */
export type PipeHandler = (member: string, payload: unknown, ctx: RequestContext) => Promise<[string, object]>;

/**
 * The server half of a pipe: runs every entry through `handle` (the same function that serves the unary RPC)
 * and coalesces the answers per event-loop turn.
 */
export function pipeServer(handle: PipeHandler): grpc.handleBidiStreamingCall<WireBatch, WireBatch> {
  return (call) => {
    let out: WireEntry[] = [];
    let scheduled = false;
    let open = true;
    const flush = (): void => {
      scheduled = false;
      const entries = out;
      out = [];
      if (!open) return;
      for (let i = 0; i < entries.length; i += MAX_ENTRIES_PER_MESSAGE) {
        call.write({ entries: entries.slice(i, i + MAX_ENTRIES_PER_MESSAGE) });
      }
    };
    const answer = (entry: WireEntry): void => {
      out.push(entry);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    };
    call.on('data', (batch: WireBatch) => {
      for (const e of batch.entries) {
        const id = e.id;
        const deadlineMs = Number(e.deadline_ms);
        const member = e.body;
        if (!member) {
          answer({ id, deadline_ms: 0, request_id: '', error: toWireError(new PairdbError('INVALID_REQUEST', 'empty pipe entry')) });
          continue;
        }
        if (deadlineMs > 0 && Date.now() >= deadlineMs) {
          answer({ id, deadline_ms: 0, request_id: '', error: toWireError(new PairdbError('TIMEOUT', 'deadline passed on arrival', { outcome: 'not_applied' })) });
          continue;
        }
        const ctx: RequestContext = { requestId: e.request_id, deadlineMs: deadlineMs > 0 ? deadlineMs : Date.now() + 10_000 };
        let p: Promise<[string, object]>;
        try {
          p = handle(member, e[member], ctx);
        } catch (err) {
          p = Promise.reject(err);
        }
        p.then(
          ([okMember, msg]) => answer({ id, deadline_ms: 0, request_id: '', [okMember]: msg }),
          (err) => answer({ id, deadline_ms: 0, request_id: '', error: toWireError(err) }),
        );
      }
    });
    const close = (): void => {
      open = false;
    };
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('cancelled', close);
    call.on('error', close);
  };
}

/** Metadata trailer keys of rpc.md §2. */
export const ERROR_CODE_TRAILER = 'pairdb-error-code';
export const OUTCOME_TRAILER = 'pairdb-outcome';

/** Turns any error into a gRPC status with the `pairdb-error-code` (and outcome) trailers. */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  const e = PairdbError.from(err);
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_CODE_TRAILER, e.code);
  if (e.outcome) metadata.set(OUTCOME_TRAILER, e.outcome);
  if (e instanceof StaleTopologyError) metadata.set(FENCE_EPOCH_TRAILER, e.fenceEpoch.toString());
  return { code: e.grpcCode, details: e.message, metadata };
}

/** Turns a failed unary call's status back into a PairdbError. */
export function fromServiceError(err: grpc.ServiceError, peer: string): PairdbError {
  const code = err.metadata?.get(ERROR_CODE_TRAILER)?.[0];
  const outcome = err.metadata?.get(OUTCOME_TRAILER)?.[0];
  const apiCode = typeof code === 'string' && isErrorCode(code) ? code : codeForGrpcStatus(err.code);
  const message =
    typeof code === 'string' ? err.details : `${peer}: ${err.details || grpc.status[err.code] || 'call failed'}`;
  const known = outcome === 'not_applied' || outcome === 'unknown' ? outcome : undefined;
  if (apiCode === 'STALE_TOPOLOGY') return staleTopologyFrom(message, err.metadata?.get(FENCE_EPOCH_TRAILER)?.[0], known);
  return new PairdbError(apiCode, message, {
    outcome: known,
    cause: err,
  });
}

/** Wraps an async function as a unary gRPC handler; errors travel as statuses with pairDB trailers. */
export function unaryServer<Req, Res>(
  fn: (req: Req, ctx: RequestContext) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const deadline = call.getDeadline();
    const deadlineMs =
      deadline instanceof Date ? deadline.getTime() : Number.isFinite(deadline) ? Number(deadline) : Date.now() + 10_000;
    const rid = call.metadata.get('x-request-id')[0];
    const ctx: RequestContext = { requestId: typeof rid === 'string' ? rid : '', deadlineMs };
    fn(call.request, ctx).then(
      (res) => callback(null, res),
      (err) => callback(toServiceError(err)),
    );
  };
}

/** Calls a unary method with a deadline and request id; rejects with a PairdbError. */
export function callUnary<Req, Res>(
  client: grpc.Client,
  method: string,
  req: Req,
  opts: CallOptions,
): Promise<Res> {
  const metadata = new grpc.Metadata();
  if (opts.requestId) metadata.set('x-request-id', opts.requestId);
  const peer = client.getChannel().getTarget();
  return new Promise<Res>((resolve, reject) => {
    const fn = (client as unknown as Record<string, Function>)[method];
    if (typeof fn !== 'function') {
      reject(new PairdbError('INTERNAL_ERROR', `no such RPC ${method}`));
      return;
    }
    fn.call(client, req, metadata, { deadline: new Date(opts.deadlineMs) }, (err: grpc.ServiceError | null, res: Res) => {
      if (err) reject(fromServiceError(err, peer));
      else resolve(res);
    });
  });
}

/** What a server-streaming handler gets besides the request. */
export interface StreamContext extends RequestContext {
  /** Aborted when the client cancels (or goes away) or the call's deadline passes. */
  readonly signal: AbortSignal;
  /** Writes one message, waiting while the transport is full (flow control); throws once the call is aborted. */
  send(msg: object): Promise<void>;
  /** Throws when the call is aborted (call it in long loops between sends). */
  check(): void;
}

/**
 * Wraps an async function as a server-streaming gRPC handler: `fn` sends messages through `ctx.send` (which honours
 * flow control, so at most what one message holds is buffered) and the stream ends OK when it resolves. A rejection
 * ends the call with its status and pairDB trailers. A client cancel or the call's deadline aborts `ctx.signal`; the
 * handler's next send/check throws and nothing more is written.
 */
export function streamServer<Req>(fn: (req: Req, ctx: StreamContext) => Promise<void>): grpc.handleServerStreamingCall<Req, object> {
  return (call) => {
    const ac = new AbortController();
    const deadline = call.getDeadline();
    const deadlineMs =
      deadline instanceof Date ? deadline.getTime() : Number.isFinite(deadline) ? Number(deadline) : Number.POSITIVE_INFINITY;
    let timer: NodeJS.Timeout | undefined;
    // (A deadline beyond setTimeout's 2^31 − 1 ms range is left to grpc-js, which enforces deadlines too.)
    if (Number.isFinite(deadlineMs) && deadlineMs - Date.now() < 2 ** 31 - 1) {
      timer = setTimeout(() => ac.abort(new PairdbError('TIMEOUT', 'the call deadline passed')), Math.max(0, deadlineMs - Date.now()));
      timer.unref();
    }
    call.on('cancelled', () => ac.abort(new PairdbError('INTERRUPTED', 'the client cancelled the call')));
    const check = (): void => {
      if (ac.signal.aborted) throw PairdbError.from(ac.signal.reason);
    };
    const send = async (msg: object): Promise<void> => {
      check();
      if (!call.write(msg)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            call.off('drain', done);
            ac.signal.removeEventListener('abort', done);
            resolve();
          };
          call.on('drain', done);
          ac.signal.addEventListener('abort', done);
        });
        check();
      }
    };
    const rid = call.metadata.get('x-request-id')[0];
    const ctx: StreamContext = {
      requestId: typeof rid === 'string' ? rid : '',
      deadlineMs: Number.isFinite(deadlineMs) ? deadlineMs : Date.now() + 3_600_000,
      signal: ac.signal,
      send,
      check,
    };
    let p: Promise<void>;
    try {
      p = fn(call.request, ctx);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      () => {
        clearTimeout(timer);
        if (!call.cancelled) call.end();
      },
      (err: unknown) => {
        clearTimeout(timer);
        // A cancelled call has no one to answer; grpc-js already ended it.
        if (!call.cancelled) call.emit('error', toServiceError(err));
      },
    );
  };
}

/**
 * Calls a server-streaming method and yields its messages; rejects with a PairdbError. `idleTimeoutMs` cancels the
 * call (TIMEOUT) when no message arrives for that long while the consumer waits (rpc.md §6: ScanRange 30 s between
 * messages); time the consumer spends between messages does not count. Leaving the loop early cancels the call.
 */
export async function* callServerStream<Req, Res>(
  client: grpc.Client,
  method: string,
  req: Req,
  opts: CallOptions,
  idleTimeoutMs?: number,
): AsyncGenerator<Res> {
  const metadata = new grpc.Metadata();
  if (opts.requestId) metadata.set('x-request-id', opts.requestId);
  const peer = client.getChannel().getTarget();
  const fn = (client as unknown as Record<string, Function>)[method];
  if (typeof fn !== 'function') throw new PairdbError('INTERNAL_ERROR', `no such RPC ${method}`);
  const stream = fn.call(client, req, metadata, { deadline: new Date(opts.deadlineMs) }) as grpc.ClientReadableStream<Res>;
  let idle = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    if (!idleTimeoutMs) return;
    timer = setTimeout(() => {
      idle = true;
      stream.cancel();
    }, idleTimeoutMs);
  };
  arm();
  const cancel = (): void => stream.cancel();
  opts.signal?.addEventListener('abort', cancel, { once: true });
  try {
    for await (const msg of stream) {
      clearTimeout(timer);
      yield msg as Res;
      arm();
    }
  } catch (err) {
    if (idle) throw new PairdbError('TIMEOUT', `${method}: no message from ${peer} within ${idleTimeoutMs} ms`, { cause: err });
    if (opts.signal?.aborted) throw new PairdbError('INTERRUPTED', `${method} cancelled`, { cause: err });
    throw fromServiceError(err as grpc.ServiceError, peer);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', cancel);
    stream.cancel();
  }
}

/**
 * A bidi stream of requests each answered by one message, in order (BatchWrite, rpc.md §6): `fn` handles one request
 * at a time; its answer is written before the next request starts. A failure ends the stream with that error's
 * status (later requests are not handled).
 */
export function orderedBidiServer<Req, Res>(fn: (req: Req) => Promise<Res>): grpc.handleBidiStreamingCall<Req, Res> {
  return (call) => {
    let chain: Promise<void> = Promise.resolve();
    let failed = false;
    call.on('data', (req: Req) => {
      chain = chain.then(async () => {
        if (failed) return;
        try {
          call.write(await fn(req));
        } catch (err) {
          failed = true;
          call.emit('error', toServiceError(err));
        }
      });
    });
    call.on('end', () => {
      void chain.then(() => {
        if (!failed) call.end();
      });
    });
    call.on('error', () => undefined);
  };
}

/** Client side of orderedBidiServer: sends every request, resolves with the answers in order (or the stream's error). */
export function callOrderedBidi<Req, Res>(client: grpc.Client, method: string, reqs: readonly Req[], opts: CallOptions): Promise<Res[]> {
  const metadata = new grpc.Metadata();
  if (opts.requestId) metadata.set('x-request-id', opts.requestId);
  const peer = client.getChannel().getTarget();
  const fn = (client as unknown as Record<string, Function>)[method];
  if (typeof fn !== 'function') return Promise.reject(new PairdbError('INTERNAL_ERROR', `no such RPC ${method}`));
  return new Promise<Res[]>((resolve, reject) => {
    const stream = fn.call(client, metadata, { deadline: new Date(opts.deadlineMs) }) as grpc.ClientDuplexStream<Req, Res>;
    const out: Res[] = [];
    stream.on('data', (res: Res) => out.push(res));
    stream.on('error', (err: grpc.ServiceError) => reject(fromServiceError(err, peer)));
    stream.on('end', () => resolve(out));
    for (const r of reqs) stream.write(r);
    stream.end();
  });
}

