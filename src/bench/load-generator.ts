import { connect, type Socket } from 'node:net';
import * as hdr from 'hdr-histogram-js';

/** One HTTP request of a load run. */
export interface LoadRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: string;
}

export interface LoadOptions {
  url: string;
  concurrency: number;
  durationMs: number;
  /** Builds the n-th request (n counts from 0 across all workers). */
  request(n: number): LoadRequest;
  /** Statuses that count as success besides 2xx (e.g. 404 for reads of an echo store). */
  okStatuses?: readonly number[];
}

export interface LoadResult {
  count: number;
  errors: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errorsByStatus: Record<string, number>;
}

/**
 * One keep-alive HTTP/1.1 connection that sends a request and reads its answer (Content-Length framed, as the
 * gateway always answers). Raw sockets instead of a general client because the load generator shares the two
 * cores with the cluster it measures: undici cost ~90 µs of CPU per request here, this ~10 µs.
 */
class RawConnection {
  readonly #host: string;
  readonly #port: number;
  #socket: Socket | undefined;
  #buf: Buffer = Buffer.alloc(0);
  #waiter: { resolve(status: number): void; reject(err: Error): void } | undefined;
  #closeAfter = false;

  constructor(host: string, port: number) {
    this.#host = host;
    this.#port = port;
  }

  send(head: string, body: string | undefined): Promise<number> {
    const socket = this.#socket ?? this.#open();
    return new Promise<number>((resolve, reject) => {
      this.#waiter = { resolve, reject };
      socket.write(body === undefined ? head : head + body);
    });
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #open(): Socket {
    const socket = connect({ host: this.#host, port: this.#port, noDelay: true });
    this.#socket = socket;
    this.#buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
      this.#parse();
    });
    const fail = (err: Error): void => {
      if (this.#socket === socket) this.#socket = undefined;
      const w = this.#waiter;
      this.#waiter = undefined;
      w?.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' })));
    return socket;
  }

  #parse(): void {
    const headEnd = this.#buf.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.#buf.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const length = m ? Number(m[1]) : 0;
    const total = headEnd + 4 + length;
    if (this.#buf.length < total) return;
    this.#closeAfter = /\r\nconnection:\s*close/i.test(head);
    this.#buf = this.#buf.subarray(total);
    const w = this.#waiter;
    this.#waiter = undefined;
    if (this.#closeAfter) this.close();
    w?.resolve(status);
  }
}

/**
 * A closed-loop load generator: `concurrency` workers, each with its own keep-alive connection, send one request
 * at a time for `durationMs`. Latencies go into an HDR histogram (1 µs – 60 s, 3 significant digits).
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const url = new URL(opts.url);
  const host = url.hostname;
  const port = Number(url.port || 80);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const ok = new Set(opts.okStatuses ?? []);
  const errorsByStatus: Record<string, number> = {};
  let n = 0;
  let count = 0;
  let errors = 0;
  const started = performance.now();
  const endAt = started + opts.durationMs;
  const hostHeader = `Host: ${url.host}\r\n`;
  const worker = async (): Promise<void> => {
    const conn = new RawConnection(host, port);
    while (performance.now() < endAt) {
      const req = opts.request(n++);
      const head =
        req.body === undefined
          ? `${req.method} ${req.path} HTTP/1.1\r\n${hostHeader}\r\n`
          : `${req.method} ${req.path} HTTP/1.1\r\n${hostHeader}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(req.body)}\r\n\r\n`;
      const t0 = performance.now();
      let status: number | string;
      try {
        status = await conn.send(head, req.body);
      } catch (err) {
        status = (err as { code?: string }).code ?? 'ERR';
      }
      histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      count++;
      if (typeof status !== 'number' || ((status < 200 || status > 299) && !ok.has(status))) {
        errors++;
        errorsByStatus[String(status)] = (errorsByStatus[String(status)] ?? 0) + 1;
      }
    }
    conn.close();
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const elapsedS = (performance.now() - started) / 1000;
  const result: LoadResult = {
    count,
    errors,
    opsPerSec: count / elapsedS,
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    maxMs: histogram.maxValue / 1000,
    errorsByStatus,
  };
  histogram.destroy();
  return result;
}
