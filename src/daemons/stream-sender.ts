import { setTimeout as sleep } from 'node:timers/promises';
import { AckWindow, MAX_OUTGOING_STREAMS, type StreamCursor, type StreamPlan, paceDelayMs, planFromRequest } from '../core/cluster/stream-window.js';
import type { StorageEngine } from '../core/engine/engine.js';
import { PairdbError } from '../core/errors.js';
import type { Logger } from '../core/observability/logger.js';
import type { BatchWriteStream } from '../core/rpc/batch-write-stream.js';
import { StorageClient } from '../core/rpc/clients.js';
import { ScanBatcher, keyRecordOf, keyRecordWireSize } from '../core/rpc/range-spec.js';
import type * as pb from '../core/rpc/types.js';

/**
 * The outgoing streams of a storage node (cluster.md §11.4, rpc.md §6 StartStreaming / GetStreamStatus /
 * StopStreaming): COUNTING, then the matching records of this node's engine in (tenant_id, key) order as
 * BatchWrite(STREAM) batches to the target, ≤ 4 unacked; then COMPLETED. Any error → FAILED (the driver restarts from
 * the checkpoint). In memory only: a restarted node knows no streams (STREAM_NOT_FOUND).
 */

type State = 'STREAM_COUNTING' | 'STREAM_STREAMING' | 'STREAM_COMPLETED' | 'STREAM_FAILED' | 'STREAM_STOPPED';

/** rpc.md: 30 s per ack. */
const ACK_TIMEOUT_MS = 30_000;
/** How long a finished stream's status stays readable (the driver polls every 2 s). */
const FINISHED_RETENTION_MS = 10 * 60_000;

export interface StreamSenderOptions {
  readonly nodeId: string;
  readonly engine: StorageEngine;
  readonly logger: Logger;
}

class OutgoingStream {
  state: State = 'STREAM_COUNTING';
  keysTotal = 0;
  window: AckWindow;
  error = '';
  readonly startedMs = Date.now();
  updatedMs = this.startedMs;
  readonly abort = new AbortController();
  stopRequested = false;
  done: Promise<void> = Promise.resolve();
  bw: BatchWriteStream | undefined;

  constructor(readonly plan: StreamPlan) {
    this.window = new AckWindow({ keys: 0, bytes: 0, checkpoint: plan.resumeAfter });
  }

  get running(): boolean {
    return this.state === 'STREAM_COUNTING' || this.state === 'STREAM_STREAMING';
  }

  status(): pb.StreamStatus {
    const cp = this.window.checkpoint;
    return {
      stream_id: this.plan.streamId,
      state: this.state,
      keys_total: String(this.keysTotal),
      keys_streamed: String(this.window.keysAcked),
      bytes_streamed: String(this.window.bytesAcked),
      checkpoint: cp ? { tenant_id: cp.tenant_id, key: cp.key } : null,
      error: this.error,
      started_at_ms: String(this.startedMs),
      updated_at_ms: String(this.updatedMs),
    };
  }
}

export class StreamSender {
  readonly #opts: StreamSenderOptions;
  readonly #streams = new Map<string, OutgoingStream>();
  #closed = false;
  /** Records and bytes acked by targets over every stream of this process (metrics). */
  keysSent = 0;
  bytesSent = 0;

  constructor(opts: StreamSenderOptions) {
    this.#opts = opts;
  }

  /** StartStreaming: joins a running stream of that id (already_running), else starts a new one. */
  start(req: pb.StartStreamingRequest__Output): pb.StartStreamingResponse {
    if (this.#closed) throw new PairdbError('NOT_READY', `storage node ${this.#opts.nodeId} is stopping`);
    const plan = planFromRequest(req, this.#opts.nodeId);
    const existing = this.#streams.get(plan.streamId);
    if (existing?.running) return { stream_id: plan.streamId, already_running: true };
    const running = [...this.#streams.values()].filter((s) => s.running).length;
    if (running >= MAX_OUTGOING_STREAMS) {
      throw new PairdbError('STREAM_LIMIT_EXCEEDED', `node ${this.#opts.nodeId} already runs ${running} outgoing streams (at most ${MAX_OUTGOING_STREAMS})`, {
        hint: 'retry once one of them has finished',
      });
    }
    const s = new OutgoingStream(plan);
    this.#streams.set(plan.streamId, s);
    s.done = this.#run(s);
    return { stream_id: plan.streamId, already_running: false };
  }

  status(streamId: string): pb.StreamStatus {
    return this.#find(streamId).status();
  }

  /** StopStreaming: a running stream ends STOPPED (once its scan and call are closed); a finished one keeps its state. */
  async stop(streamId: string): Promise<pb.StreamStatus> {
    const s = this.#find(streamId);
    if (s.running) {
      s.stopRequested = true;
      s.abort.abort(new PairdbError('INTERRUPTED', `stream ${streamId} stopped`));
      s.bw?.cancel(new PairdbError('INTERRUPTED', `stream ${streamId} stopped`));
    }
    await s.done;
    return s.status();
  }

  /** Daemon stop: every running stream is stopped and its engine scan closed before the engine closes. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#streams.keys()].map((id) => this.stop(id)));
  }

  #find(streamId: string): OutgoingStream {
    const s = this.#streams.get(streamId);
    if (!s) throw new PairdbError('STREAM_NOT_FOUND', `node ${this.#opts.nodeId} has no stream ${JSON.stringify(streamId)} (unknown, expired or the node restarted)`);
    return s;
  }

  async #run(s: OutgoingStream): Promise<void> {
    const log = this.#opts.logger;
    const { plan } = s;
    log.info({ stream_id: plan.streamId, target: plan.targetNodeId, resume_after: plan.resumeAfter }, 'stream started');
    let target: StorageClient | undefined;
    try {
      await this.#count(s);
      s.state = 'STREAM_STREAMING';
      s.updatedMs = Date.now();
      // One client per stream, closed when the stream ends: targets change from migration to migration.
      target = new StorageClient(plan.targetAddress);
      await this.#stream(s, target);
      s.state = 'STREAM_COMPLETED';
      log.info({ stream_id: plan.streamId, keys: s.window.keysAcked, bytes: s.window.bytesAcked }, 'stream completed');
    } catch (err) {
      if (s.stopRequested) {
        s.state = 'STREAM_STOPPED';
        log.info({ stream_id: plan.streamId, checkpoint: s.window.checkpoint }, 'stream stopped');
      } else {
        const e = PairdbError.from(err);
        s.state = 'STREAM_FAILED';
        s.error = `${e.code}: streaming to ${plan.targetNodeId} (${plan.targetAddress}) failed: ${e.message}`;
        log.warn({ err, stream_id: plan.streamId, checkpoint: s.window.checkpoint }, 'stream failed');
      }
    } finally {
      s.bw?.cancel(new PairdbError('INTERRUPTED', 'stream ended'));
      target?.close();
      s.updatedMs = Date.now();
      setTimeout(() => {
        if (this.#streams.get(plan.streamId) === s) this.#streams.delete(plan.streamId);
      }, FINISHED_RETENTION_MS).unref();
    }
  }

  /**
   * COUNTING: keys_total = the spec's matches after the resume point + those at or before it (delivered by earlier
   * attempts, so keys_streamed starts there): both counters cover the whole task, whichever attempt reports them.
   */
  async #count(s: OutgoingStream): Promise<void> {
    const { spec, after, resumeAfter } = s.plan;
    let before = 0;
    let total = 0;
    for await (const e of this.#opts.engine.scan({ ranges: spec.ranges, tenants: spec.tenants })) {
      this.#check(s);
      total++;
      if (after && Buffer.compare(e.ckey, after) <= 0) before++;
    }
    s.keysTotal = total;
    s.window = new AckWindow({ keys: before, bytes: 0, checkpoint: resumeAfter });
  }

  async #stream(s: OutgoingStream, target: StorageClient): Promise<void> {
    const { plan } = s;
    const ackTimeout = ACK_TIMEOUT_MS;
    const bw = target.openBatchWrite({ requestId: `stream-${plan.streamId}` });
    s.bw = bw;
    const window = s.window;
    const startedMs = Date.now();
    let bytesSent = 0;
    const takeAck = async (): Promise<void> => {
      const ack = await bw.nextAck(ackTimeout);
      const [keys, bytes] = [window.keysAcked, window.bytesAcked];
      window.acked(Number(ack.batch_seq));
      this.keysSent += window.keysAcked - keys;
      this.bytesSent += window.bytesAcked - bytes;
      s.updatedMs = Date.now();
    };
    const send = async (records: pb.KeyRecord[]): Promise<void> => {
      const tail = records[records.length - 1]!;
      const last: StreamCursor = { tenant_id: tail.tenant_id ?? '', key: tail.key ?? '' };
      while (window.full) await takeAck();
      const wait = paceDelayMs(bytesSent, startedMs, Date.now(), plan.maxBytesPerSec);
      if (wait > 0) await sleep(wait, undefined, { signal: s.abort.signal });
      this.#check(s);
      const bytes = records.reduce((n, r) => n + keyRecordWireSize(r), 0);
      const seq = window.nextSeq;
      window.sent({ seq, records: records.length, bytes, last });
      bw.send({ batch_seq: String(seq), purpose: 'PURPOSE_STREAM', records, stream_id: plan.streamId });
      bytesSent += bytes;
    };
    const batcher = new ScanBatcher(plan.batchSize, null);
    // Leaving the loop (a stop, a failed ack) returns the generator, which unpins its tables.
    for await (const e of this.#opts.engine.scan({ ranges: plan.spec.ranges, tenants: plan.spec.tenants, after: plan.after })) {
      this.#check(s);
      const full = batcher.add(keyRecordOf(e, false));
      if (full) await send(full.records!);
    }
    const rest = batcher.finish();
    if ((rest.records?.length ?? 0) > 0) await send(rest.records!);
    while (window.inFlight > 0) await takeAck();
    await bw.finish(ackTimeout);
  }

  #check(s: OutgoingStream): void {
    if (s.abort.signal.aborted) throw PairdbError.from(s.abort.signal.reason);
  }
}
