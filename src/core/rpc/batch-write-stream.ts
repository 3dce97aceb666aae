import type * as grpc from '@grpc/grpc-js';
import { PairdbError } from '../errors.js';
import { fromServiceError } from './pipe.js';
import type * as pb from './types.js';

/**
 * An open BatchWrite call (rpc.md §6) for senders that keep a window of batches in flight (streaming, cluster.md
 * §11.4): batches are written as they are ready and acks are taken one at a time, in order, each with its own
 * timeout (rpc.md: 30 s per ack). callOrderedBidi suits a fixed list of batches; this suits an unbounded scan.
 */
export class BatchWriteStream {
  readonly #call: grpc.ClientDuplexStream<pb.BatchWriteRequest, pb.BatchWriteAck__Output>;
  readonly #peer: string;
  readonly #acks: pb.BatchWriteAck__Output[] = [];
  #waiter: { resolve(ack: pb.BatchWriteAck__Output | null): void; reject(err: PairdbError): void } | undefined;
  #error: PairdbError | undefined;
  #ended = false;

  constructor(call: grpc.ClientDuplexStream<pb.BatchWriteRequest, pb.BatchWriteAck__Output>, peer: string) {
    this.#call = call;
    this.#peer = peer;
    call.on('data', (ack: pb.BatchWriteAck__Output) => {
      const w = this.#waiter;
      this.#waiter = undefined;
      if (w) w.resolve(ack);
      else this.#acks.push(ack);
    });
    call.on('error', (err: grpc.ServiceError) => this.#fail(fromServiceError(err, peer)));
    call.on('end', () => {
      this.#ended = true;
      const w = this.#waiter;
      this.#waiter = undefined;
      w?.resolve(null);
    });
  }

  /** Writes one batch. Callers bound what is unacked, so the transport's buffer is not waited on. */
  send(batch: pb.BatchWriteRequest): void {
    if (this.#error) throw this.#error;
    this.#call.write(batch);
  }

  /** The next ack in order; rejects with the error that ended the call, or TIMEOUT after `timeoutMs` without one. */
  nextAck(timeoutMs: number): Promise<pb.BatchWriteAck__Output> {
    const queued = this.#acks.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.reject(this.#endedEarly());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        const err = new PairdbError('TIMEOUT', `BatchWrite: no ack from ${this.#peer} within ${timeoutMs} ms`);
        this.#fail(err);
        this.#call.cancel();
        reject(err);
      }, timeoutMs);
      this.#waiter = {
        resolve: (ack) => {
          clearTimeout(timer);
          if (ack) resolve(ack);
          else reject(this.#endedEarly());
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
  }

  /** Half-closes and waits for the server to end the call (every ack must have been taken). */
  async finish(timeoutMs: number): Promise<void> {
    this.#call.end();
    if (this.#ended) return;
    if (this.#error) throw this.#error;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#call.cancel();
        reject(new PairdbError('TIMEOUT', `BatchWrite: ${this.#peer} did not end the call within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#call.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#call.once('error', (err: grpc.ServiceError) => {
        clearTimeout(timer);
        reject(fromServiceError(err, this.#peer));
      });
    });
  }

  /** Abandons the call (stop, failure elsewhere); pending and later acks reject. */
  cancel(reason: PairdbError): void {
    this.#fail(reason);
    this.#call.cancel();
  }

  #fail(err: PairdbError): void {
    this.#error ??= err;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(this.#error);
  }

  #endedEarly(): PairdbError {
    return new PairdbError('SERVICE_UNAVAILABLE', `BatchWrite: ${this.#peer} ended the call before acking every batch`);
  }
}
