import { PairdbError } from '../errors.js';
import { type ParsedRangeSpec, cursorToCkey, rangeSpecFromWire } from '../rpc/range-spec.js';
import type * as pb from '../rpc/types.js';

/**
 * The pure parts of an outgoing stream (cluster.md §11.4): the request check, the window of unacked batches with its
 * checkpoint rule, and the byte-rate pacing. No I/O; src/daemons/stream-sender.ts drives them.
 */

/** cluster.md §11.4: ≤ 4 unacked batches in flight. */
export const MAX_UNACKED_BATCHES = 4;
/** rpc.md §6: past 4 outgoing streams StartStreaming answers RESOURCE_EXHAUSTED. */
export const MAX_OUTGOING_STREAMS = 4;
/** `stream-batch` default and cap (records per batch). */
export const STREAM_BATCH_RECORDS = 1000;

export interface StreamCursor {
  readonly tenant_id: string;
  readonly key: string;
}

export interface StreamPlan {
  readonly streamId: string;
  readonly targetNodeId: string;
  readonly targetAddress: string;
  readonly spec: ParsedRangeSpec;
  /** The resume point as a ckey (exclusive); undefined = from the start. */
  readonly after: Buffer | undefined;
  readonly resumeAfter: StreamCursor | null;
  readonly batchSize: number;
  /** 0 = unlimited. */
  readonly maxBytesPerSec: number;
}

function invalid(message: string): PairdbError {
  return new PairdbError('INVALID_REQUEST', message);
}

const STREAM_ID_PART = /^[A-Za-z0-9._:-]{1,128}$/;
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/** Checks a StartStreamingRequest (rpc.md §8) against this node; anything malformed is INVALID_REQUEST. */
export function planFromRequest(req: pb.StartStreamingRequest__Output, selfNodeId: string): StreamPlan {
  const parts = req.stream_id.split('/');
  if (parts.length !== 2 || !parts.every((p) => STREAM_ID_PART.test(p))) {
    throw invalid(`stream_id ${JSON.stringify(req.stream_id)} must be "<migration_id>/<task_id>"`);
  }
  if (req.target_node_id === '') throw invalid('target_node_id is required');
  if (req.target_node_id === selfNodeId) throw invalid(`node ${selfNodeId} cannot stream to itself`);
  if (!ADDRESS.test(req.target_address)) throw invalid(`target_address ${JSON.stringify(req.target_address)} is not host:port`);
  const spec = rangeSpecFromWire(req.spec);
  const after = cursorToCkey(req.resume_after);
  const rate = String(req.max_bytes_per_sec ?? '0');
  if (!/^\d{1,20}$/.test(rate)) throw invalid(`max_bytes_per_sec ${JSON.stringify(rate)} is not a uint64`);
  return {
    streamId: req.stream_id,
    targetNodeId: req.target_node_id,
    targetAddress: req.target_address,
    spec,
    after,
    resumeAfter: after && req.resume_after ? { tenant_id: req.resume_after.tenant_id, key: req.resume_after.key } : null,
    // Like ScanRange's batch_size: 0 = the default, larger values are capped (rpc.md §4: ≤ 1000 records).
    batchSize: req.batch_size <= 0 ? STREAM_BATCH_RECORDS : Math.min(req.batch_size, STREAM_BATCH_RECORDS),
    maxBytesPerSec: Number(rate),
  };
}

export interface SentBatch {
  readonly seq: number;
  readonly records: number;
  readonly bytes: number;
  /** The batch's last record. */
  readonly last: StreamCursor;
}

/**
 * The batches sent and not yet acked. Acks may be taken in any order; the counters and the checkpoint advance only
 * over the contiguous acked prefix, so a restart from the checkpoint never skips a batch the target lacks.
 */
export class AckWindow {
  readonly #max: number;
  readonly #pending: Array<SentBatch & { acked: boolean }> = [];
  #lastSeq = 0;
  #keys: number;
  #bytes: number;
  #checkpoint: StreamCursor | null;

  /** @param start what earlier attempts already delivered (keys before the resume point, and that point). */
  constructor(start: { keys: number; bytes: number; checkpoint: StreamCursor | null }, maxUnacked = MAX_UNACKED_BATCHES) {
    this.#max = maxUnacked;
    this.#keys = start.keys;
    this.#bytes = start.bytes;
    this.#checkpoint = start.checkpoint;
  }

  get inFlight(): number {
    return this.#pending.length;
  }

  get full(): boolean {
    return this.#pending.length >= this.#max;
  }

  /** The seq the next batch must carry (1, 2, …). */
  get nextSeq(): number {
    return this.#lastSeq + 1;
  }

  /** Records acked (contiguously). */
  get keysAcked(): number {
    return this.#keys;
  }

  get bytesAcked(): number {
    return this.#bytes;
  }

  /** The last record of the highest contiguous acked batch (the resume point), null before any. */
  get checkpoint(): StreamCursor | null {
    return this.#checkpoint;
  }

  sent(batch: SentBatch): void {
    if (this.full) throw new PairdbError('INTERNAL_ERROR', `stream window full: ${this.#pending.length} batches unacked`);
    if (batch.seq !== this.nextSeq) throw new PairdbError('INTERNAL_ERROR', `stream batch seq ${batch.seq} sent, expected ${this.nextSeq}`);
    this.#lastSeq = batch.seq;
    this.#pending.push({ ...batch, acked: false });
  }

  /** Marks a batch acked; an ack of a batch not in flight is the target's protocol error. */
  acked(seq: number): void {
    const b = this.#pending.find((p) => p.seq === seq && !p.acked);
    if (!b) throw new PairdbError('INTERNAL_ERROR', `ack of batch ${seq}, which is not in flight`);
    b.acked = true;
    while (this.#pending.length > 0 && this.#pending[0]!.acked) {
      const head = this.#pending.shift()!;
      this.#keys += head.records;
      this.#bytes += head.bytes;
      this.#checkpoint = head.last;
    }
  }
}

/**
 * How long to wait before sending more so that `bytesSent` over the time since `startedMs` stays within
 * `maxBytesPerSec` (0 = unlimited → 0).
 */
export function paceDelayMs(bytesSent: number, startedMs: number, nowMs: number, maxBytesPerSec: number): number {
  if (maxBytesPerSec <= 0) return 0;
  const earliest = startedMs + (bytesSent * 1000) / maxBytesPerSec;
  return Math.max(0, Math.ceil(earliest - nowMs));
}
