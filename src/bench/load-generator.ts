import * as hdr from 'hdr-histogram-js';
import { Pool } from 'undici';

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
 * A closed-loop load generator: `concurrency` workers, each with its own keep-alive connection, send one request
 * at a time for `durationMs`. Latencies go into an HDR histogram (1 µs – 60 s, 3 significant digits).
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(opts.url, { connections: opts.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const ok = new Set(opts.okStatuses ?? []);
  const errorsByStatus: Record<string, number> = {};
  let n = 0;
  let count = 0;
  let errors = 0;
  const started = performance.now();
  const endAt = started + opts.durationMs;
  const headers = { 'content-type': 'application/json' };
  const worker = async (): Promise<void> => {
    while (performance.now() < endAt) {
      const req = opts.request(n++);
      const t0 = performance.now();
      let status: number | string;
      try {
        const res = await pool.request({ method: req.method, path: req.path, body: req.body, headers: req.body ? headers : undefined });
        await res.body.dump();
        status = res.statusCode;
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
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const elapsedS = (performance.now() - started) / 1000;
  await pool.close();
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
