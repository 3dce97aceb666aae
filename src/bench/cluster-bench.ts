import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../core/config/units.js';
import { LocalCluster } from './local-cluster.js';
import { runLoad, type LoadResult } from './load-generator.js';

/**
 * `npm run bench:cluster` (issue 2 §9): the pairdb up topology (1 gateway, 1 coordinator, 3 storage nodes,
 * real processes on 127.0.0.1) driven with puts then gets at concurrency 64, side by side in the same run with
 * the same topology whose storage nodes are echoes (same gRPC/pipe path, no engine). Prints ops/s, p50/p99 and
 * the ratio cluster ÷ echo.
 */

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10s' },
    warmup: { type: 'string', default: '3s' },
    concurrency: { type: 'string', default: '64' },
    'value-size': { type: 'string', default: '100' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const durationMs = parseDuration(values.duration!);
const warmupMs = parseDuration(values.warmup!);
const concurrency = Number(values.concurrency);
const valueSize = Number(values['value-size']);
const TENANT = 'bench';

interface TopologyResult {
  topology: 'echo' | 'cluster';
  put: LoadResult;
  get: LoadResult;
}

async function benchTopology(topology: 'echo' | 'cluster'): Promise<TopologyResult> {
  const dataDir = mkdtempSync(join(tmpdir(), `pairdb-bench-${topology}-`));
  const cluster = new LocalCluster({ dataDir, nodes: 3, storageEngine: topology === 'echo' ? 'echo' : 'lsm' });
  try {
    await cluster.start();
    const res = await fetch(`${cluster.gatewayUrl}/v1/tenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant_id: TENANT, replication_factor: 3, rate_limits: { writes_per_minute: 10_000_000, reads_per_minute: 10_000_000 } }),
    });
    if (res.status !== 201) throw new Error(`creating the bench tenant: HTTP ${res.status} ${await res.text()}`);
    const value = JSON.stringify('x'.repeat(Math.max(0, valueSize - 2)));
    let written = 0;
    const putRequest = (n: number) => {
      written = Math.max(written, n + 1);
      return { method: 'POST' as const, path: '/v1/key-value', body: `{"tenant_id":"${TENANT}","key":"key-${n}","value":${value}}` };
    };
    // Warm-up (not recorded): lets the JIT compile the hot paths of every daemon before measuring.
    let offset = 0;
    if (warmupMs > 0) offset = (await runLoad({ url: cluster.gatewayUrl, concurrency, durationMs: warmupMs, request: putRequest })).count;
    const put = await runLoad({
      url: cluster.gatewayUrl,
      concurrency,
      durationMs,
      request: (n) => putRequest(n + offset),
    });
    const keys = Math.max(1, written);
    const get = await runLoad({
      url: cluster.gatewayUrl,
      concurrency,
      durationMs,
      // An echo store keeps nothing, so its reads answer 404: that is its (successful) answer.
      okStatuses: topology === 'echo' ? [404] : [],
      request: (n) => ({ method: 'GET', path: `/v1/key-value?tenant_id=${TENANT}&key=key-${(n * 7919) % keys}` }),
    });
    return { topology, put, get };
  } finally {
    await cluster.stop();
    if (!values.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

function row(name: string, r: LoadResult): string {
  return [
    name.padEnd(14),
    String(r.count).padStart(8),
    String(r.errors).padStart(7),
    r.opsPerSec.toFixed(0).padStart(8),
    `${r.p50Ms.toFixed(2)} ms`.padStart(10),
    `${r.p99Ms.toFixed(2)} ms`.padStart(10),
    `${r.maxMs.toFixed(1)} ms`.padStart(10),
  ].join('  ');
}

async function main(): Promise<void> {
  process.stderr.write(`bench:cluster: ${warmupMs / 1000}s warm-up + ${durationMs / 1000}s per phase, concurrency ${concurrency}, value ${valueSize} B, RF 3, quorum\n`);
  const echo = await benchTopology('echo');
  const cluster = await benchTopology('cluster');
  const ratio = {
    put: cluster.put.opsPerSec / echo.put.opsPerSec,
    get: cluster.get.opsPerSec / echo.get.opsPerSec,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ durationMs, concurrency, valueSize, echo, cluster, ratio }, null, 2)}\n`);
  } else {
    const header = ['RUN'.padEnd(14), 'COUNT'.padStart(8), 'ERRORS'.padStart(7), 'OPS/S'.padStart(8), 'P50'.padStart(10), 'P99'.padStart(10), 'MAX'.padStart(10)].join('  ');
    process.stdout.write(
      [
        header,
        row('echo put', echo.put),
        row('echo get', echo.get),
        row('cluster put', cluster.put),
        row('cluster get', cluster.get),
        `ratio cluster/echo: put ${ratio.put.toFixed(2)}  get ${ratio.get.toFixed(2)}`,
        '',
      ].join('\n'),
    );
    for (const r of [echo, cluster]) {
      for (const [op, lr] of [['put', r.put], ['get', r.get]] as const) {
        if (lr.errors > 0) process.stderr.write(`note: ${r.topology} ${op} errors by status: ${JSON.stringify(lr.errorsByStatus)}\n`);
      }
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:cluster failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
