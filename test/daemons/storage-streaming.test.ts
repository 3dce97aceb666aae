import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keyPosition } from '../../src/core/cluster/ring.js';
import type { Version } from '../../src/core/model/version.js';
import { versionFromWire, versionToWire } from '../../src/core/model/version-wire.js';
import { StorageClient } from '../../src/core/rpc/clients.js';
import type * as pb from '../../src/core/rpc/types.js';
import { type DaemonProcess, freePort, spawnDaemon } from '../../src/bench/local-cluster.js';
import { encs, tempDir, ver } from '../core/engine/helpers.js';

/**
 * Streaming between two real `pairdb storage` processes (cluster.md §11.4, rpc.md §6; bin/pairdb loads dist/: build
 * first). Node A holds 20k keys of two tenants (tombstones, siblings and write-id memory included); streams of one
 * tenant and a set of ring ranges go to a fresh node B, which must then hold exactly the matching records with
 * identical versions and nothing else — also after a resume, a stop, a killed target and a restarted source.
 */

const TWO_64 = 1n << 64n;
const opts = () => ({ requestId: 'stream-test', deadlineMs: Date.now() + 10_000 });
const STREAM_TENANT = 'acme';
// Two ranges, one of them wrapping past 2^64: roughly a third of the ring.
const RANGES: Array<[bigint, bigint]> = [
  [1n << 63n, (1n << 63n) + (1n << 62n)],
  [TWO_64 - (1n << 61n), 1n << 60n],
];
const SPEC: pb.RangeSpec = { ranges: RANGES.map(([start, end]) => ({ start: String(start), end: String(end) })), tenant_ids: [STREAM_TENANT] };

interface Node {
  nodeId: string;
  dataDir: string;
  port: number;
  adminPort: number;
  proc: DaemonProcess;
  client: StorageClient;
  address: string;
}

interface StoredRecord {
  versions: string[];
  recentWrites: string[];
}

let tmp: ReturnType<typeof tempDir>;
let source: Node;
const targets: Node[] = [];
/** Everything written to A, by `tenant\0key`. */
const written = new Map<string, { tenant: string; key: string; record: StoredRecord }>();
let seq = 0;

function inRange(pos: bigint, [start, end]: [bigint, bigint]): boolean {
  if (start === end) return true;
  return start < end ? pos >= start && pos < end : pos >= start || pos < end;
}

/** The records a stream of SPEC must deliver, in (tenant, key) byte order. */
function expectedRecords(): Array<[string, StoredRecord]> {
  return [...written.values()]
    .filter((w) => w.tenant === STREAM_TENANT && RANGES.some((r) => inRange(keyPosition(w.tenant, w.key), r)))
    .map((w): [string, StoredRecord] => [`${w.tenant}\u0000${w.key}`, w.record])
    .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
}

async function spawnNode(nodeId: string, dataDir: string, ports?: { port: number; adminPort: number }): Promise<Node> {
  mkdirSync(dataDir, { recursive: true });
  const port = ports?.port ?? (await freePort());
  const adminPort = ports?.adminPort ?? (await freePort());
  const args = ['storage', '--node-id', nodeId, '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), '--admin-port', String(adminPort), '--log-level', 'info'];
  const proc = spawnDaemon(`storage-${nodeId}`, args, join(tmp.dir, 'logs'));
  await waitFor(`storage ${nodeId} ready`, async () => {
    if (proc.child.exitCode !== null) throw new Error(`storage ${nodeId} exited with ${proc.child.exitCode}`);
    const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
    await res.arrayBuffer();
    return res.ok ? true : undefined;
  }, 30_000);
  const address = `127.0.0.1:${port}`;
  return { nodeId, dataDir, port, adminPort, proc, client: new StorageClient(address), address };
}

async function kill(n: Node, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  n.client.close();
  if (n.proc.child.exitCode === null && n.proc.child.signalCode === null) n.proc.child.kill(signal);
  await n.proc.exited;
}

async function restart(n: Node, signal: NodeJS.Signals = 'SIGKILL'): Promise<Node> {
  await kill(n, signal);
  return spawnNode(n.nodeId, n.dataDir, { port: n.port, adminPort: n.adminPort });
}

let targetCount = 0;

/** A fresh, empty target node. */
async function newTarget(): Promise<Node> {
  const id = `b${++targetCount}`;
  const n = await spawnNode(id, join(tmp.dir, id));
  targets.push(n);
  return n;
}

/** Every record a node holds (all tenants, the whole ring, tombstones included). */
async function scanAll(n: Node): Promise<Map<string, StoredRecord>> {
  const out = new Map<string, StoredRecord>();
  for await (const batch of n.client.scanRange({ spec: { ranges: [], tenant_ids: [] }, batch_size: 1000, include_expired_tombstones: true }, { requestId: 'scan', deadlineMs: Date.now() + 60_000 })) {
    for (const r of batch.records) {
      out.set(`${r.tenant_id}\u0000${r.key}`, {
        versions: encs(r.versions.map(versionFromWire)),
        recentWrites: r.recent_writes.map((w) => `${Buffer.from(w.write_id).toString('hex')}@${w.timestamp_ms}`).sort(),
      });
    }
  }
  return out;
}

function start(target: Node, streamId: string, extra: Partial<pb.StartStreamingRequest> = {}): Promise<pb.StartStreamingResponse__Output> {
  return source.client.startStreaming({ stream_id: streamId, target_node_id: target.nodeId, target_address: target.address, spec: SPEC, ...extra }, opts());
}

function until(streamId: string, pred: (s: pb.StreamStatus__Output) => boolean, what: string): Promise<pb.StreamStatus__Output> {
  return waitFor(what, async () => {
    const s = await source.client.getStreamStatus({ stream_id: streamId }, opts());
    return pred(s) ? s : undefined;
  });
}

const finished = (s: pb.StreamStatus__Output) => s.state === 'STREAM_COMPLETED' || s.state === 'STREAM_FAILED' || s.state === 'STREAM_STOPPED';

/** Writes the 20k keys to A with BatchWrite(REPAIR): values, tombstones, two-version siblings, write-id memory. */
async function loadSource(): Promise<void> {
  const base = Date.now() * 1000;
  const batches: pb.BatchWriteRequest[] = [];
  let records: pb.KeyRecord[] = [];
  for (const tenant of ['acme', 'globex']) {
    for (let i = 0; i < 10_000; i++) {
      const key = `user/${String(i).padStart(5, '0')}`;
      const ht = base + seq++;
      let versions: Version[];
      if (i % 10 === 3) versions = [ver({ writer: 'c1', ht, tombstone: true })];
      else if (i % 17 === 5) versions = [ver({ writer: 'c1', ht, value: `"left-${i}"` }), ver({ writer: 'c2', ht: ht + 1, value: `"right-${i}"` })];
      else versions = [ver({ writer: 'c1', ht, value: `"${tenant}-${i}-${'x'.repeat(80)}"` })];
      const recent = i % 7 === 0 ? [{ write_id: Buffer.from(`wid-${tenant}-${i}`), timestamp_ms: String(Math.floor(ht / 1000)) }] : [];
      records.push({ tenant_id: tenant, key, versions: versions.map(versionToWire), recent_writes: recent });
      written.set(`${tenant}\u0000${key}`, {
        tenant,
        key,
        record: { versions: encs(versions), recentWrites: recent.map((w) => `${w.write_id.toString('hex')}@${w.timestamp_ms}`).sort() },
      });
      if (records.length === 1000) {
        batches.push({ batch_seq: String(batches.length + 1), purpose: 'PURPOSE_REPAIR', records, stream_id: '' });
        records = [];
      }
    }
  }
  const acks = await source.client.batchWrite(batches, { requestId: 'load', deadlineMs: Date.now() + 120_000 });
  expect(acks.reduce((n, a) => n + a.applied, 0)).toBe(20_000);
}

beforeAll(async () => {
  tmp = tempDir('pairdb-streaming-');
  source = await spawnNode('a', join(tmp.dir, 'a'));
  await loadSource();
  // A's data sits in tables and the memtable alike: flush half way through the key space is not needed; flush all
  // so the stream reads SSTables, then one more write lands in the memtable only.
  await source.client.flush({ wait: true }, { requestId: 'flush', deadlineMs: Date.now() + 60_000 });
  const late = ver({ writer: 'c3', ht: Date.now() * 1000 + seq++, value: '"late"' });
  const key = 'user/00000';
  await source.client.writeUnary({ record: { tenant_id: 'acme', key, versions: [versionToWire(late)], recent_writes: [] }, purpose: 'PURPOSE_REPAIR', topology_epoch: '0' }, opts());
  const entry = written.get(`acme\u0000${key}`)!;
  const merged = await source.client.readUnary({ tenant_id: 'acme', key, topology_epoch: '0' }, opts());
  entry.record = { ...entry.record, versions: encs(merged.record!.versions.map(versionFromWire)) };
}, 180_000);

afterEach(async () => {
  for (const t of targets.splice(0)) await kill(t);
});

afterAll(async () => {
  if (source) await kill(source);
  tmp?.cleanup();
});

describe('storage streaming between two processes', () => {
  it('streams exactly the matching records (tombstones, siblings, write ids) and completes with full counters', async () => {
    const expected = expectedRecords();
    expect(expected.length).toBeGreaterThan(1000);
    expect(expected.some(([, r]) => r.versions.length === 2)).toBe(true);
    const b = await newTarget();
    const res = await start(b, 'mig-1/1', { batch_size: 300 });
    expect(res).toMatchObject({ stream_id: 'mig-1/1', already_running: false });
    const done = await until('mig-1/1', finished, 'stream finished');
    expect(done.error).toBe('');
    expect(done.state).toBe('STREAM_COMPLETED');
    expect(Number(done.keys_total)).toBe(expected.length);
    expect(Number(done.keys_streamed)).toBe(expected.length);
    expect(Number(done.bytes_streamed)).toBeGreaterThan(0);
    const [lastCkey] = expected[expected.length - 1]!;
    expect(`${done.checkpoint!.tenant_id}\u0000${done.checkpoint!.key}`).toBe(lastCkey);
    const onB = await scanAll(b);
    expect(new Map(onB)).toEqual(new Map(expected));
    // The finished stream's status stays readable, and Stop on it is idempotent (returns the final status).
    const again = await source.client.stopStreaming({ stream_id: 'mig-1/1' }, opts());
    expect(again.state).toBe('STREAM_COMPLETED');
    const metrics = await (await fetch(`http://127.0.0.1:${source.adminPort}/metrics`)).text();
    const keysMetric = /^pairdb_storage_stream_keys_total\{node_id="a"\} (\d+)$/m.exec(metrics);
    expect(Number(keysMetric?.[1])).toBeGreaterThanOrEqual(expected.length);
    expect(metrics).toMatch(/^pairdb_storage_stream_bytes_total\{node_id="a"\} [1-9]\d*$/m);
  }, 120_000);

  it('resume_after streams only the keys after the cursor; keys_streamed counts the earlier ones as delivered', async () => {
    const expected = expectedRecords();
    const cut = Math.floor(expected.length / 2);
    const [cursorCkey] = expected[cut]!;
    const [tenant, key] = cursorCkey.split('\u0000') as [string, string];
    const b = await newTarget();
    await start(b, 'mig-1/2', { resume_after: { tenant_id: tenant, key } });
    const done = await until('mig-1/2', finished, 'resumed stream finished');
    expect(done.state).toBe('STREAM_COMPLETED');
    expect(Number(done.keys_total)).toBe(expected.length);
    expect(Number(done.keys_streamed)).toBe(expected.length);
    expect(new Map(await scanAll(b))).toEqual(new Map(expected.slice(cut + 1)));
  }, 120_000);

  it('joins a running stream (already_running) and StopStreaming ends it STOPPED, idempotently', async () => {
    const b = await newTarget();
    // ~2 KiB/s: the stream runs for minutes unless stopped.
    await start(b, 'mig-1/3', { batch_size: 10, max_bytes_per_sec: '2048' });
    const joined = await start(b, 'mig-1/3', { batch_size: 10, max_bytes_per_sec: '2048' });
    expect(joined.already_running).toBe(true);
    await until('mig-1/3', (s) => Number(s.keys_streamed) > 0, 'first batch acked');
    const stopped = await source.client.stopStreaming({ stream_id: 'mig-1/3' }, opts());
    expect(stopped.state).toBe('STREAM_STOPPED');
    expect(Number(stopped.keys_streamed)).toBeLessThan(Number(stopped.keys_total));
    const twice = await source.client.stopStreaming({ stream_id: 'mig-1/3' }, opts());
    expect(twice).toMatchObject({ state: 'STREAM_STOPPED', keys_streamed: stopped.keys_streamed });
    const status = await source.client.getStreamStatus({ stream_id: 'mig-1/3' }, opts());
    expect(status.state).toBe('STREAM_STOPPED');
    // Nothing more arrives at B after the stop answered.
    const onB = (await scanAll(b)).size;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await scanAll(b)).size).toBe(onB);
  }, 120_000);

  it('a killed target fails the stream with an error; restarting from its checkpoint completes B', async () => {
    const expected = expectedRecords();
    let b = await newTarget();
    await start(b, 'mig-1/4', { batch_size: 50, max_bytes_per_sec: '60000' });
    await until('mig-1/4', (s) => Number(s.keys_streamed) >= 200, 'some batches acked');
    await kill(b);
    const failed = await until('mig-1/4', finished, 'stream failed');
    expect(failed.state).toBe('STREAM_FAILED');
    expect(failed.error).not.toBe('');
    expect(failed.checkpoint).not.toBeNull();
    const checkpoint = failed.checkpoint!;
    b = await spawnNode(b.nodeId, b.dataDir, { port: b.port, adminPort: b.adminPort });
    targets.push(b);
    // Everything up to the checkpoint was acked, hence durable on B.
    const cpCkey = `${checkpoint.tenant_id}\u0000${checkpoint.key}`;
    const beforeResume = await scanAll(b);
    for (const [ck, r] of expected) if (Buffer.compare(Buffer.from(ck), Buffer.from(cpCkey)) <= 0) expect(beforeResume.get(ck)).toEqual(r);
    const res = await start(b, 'mig-1/4', { resume_after: checkpoint });
    expect(res.already_running).toBe(false);
    const done = await until('mig-1/4', finished, 'resumed stream finished');
    expect(done.state).toBe('STREAM_COMPLETED');
    expect(Number(done.keys_streamed)).toBe(expected.length);
    expect(new Map(await scanAll(b))).toEqual(new Map(expected));
  }, 180_000);

  it('refuses a fifth concurrent stream with RESOURCE_EXHAUSTED, bad requests with INVALID_ARGUMENT, unknown ids with NOT_FOUND', async () => {
    const b = await newTarget();
    const ids = ['mig-2/1', 'mig-2/2', 'mig-2/3', 'mig-2/4'];
    for (const id of ids) await start(b, id, { batch_size: 10, max_bytes_per_sec: '1024' });
    await expect(start(b, 'mig-2/5')).rejects.toMatchObject({ code: 'STREAM_LIMIT_EXCEEDED', grpcCode: 8 });
    // Joining one of the four is still fine.
    await expect(start(b, 'mig-2/2')).resolves.toMatchObject({ already_running: true });
    for (const id of ids) expect((await source.client.stopStreaming({ stream_id: id }, opts())).state).toBe('STREAM_STOPPED');
    // With the four stopped, a new one starts.
    await expect(start(b, 'mig-2/5', { batch_size: 10, max_bytes_per_sec: '1024' })).resolves.toMatchObject({ already_running: false });
    await source.client.stopStreaming({ stream_id: 'mig-2/5' }, opts());

    const bad: Array<Partial<pb.StartStreamingRequest>> = [
      { stream_id: 'no-slash' },
      { target_address: 'nowhere' },
      { target_node_id: 'a' },
      { spec: { ranges: [], tenant_ids: ['bad tenant!'] } },
      { resume_after: { tenant_id: 'acme', key: 'a\u0000b' } },
    ];
    for (const extra of bad) {
      await expect(start(b, 'mig-3/1', extra), JSON.stringify(extra)).rejects.toMatchObject({ code: 'INVALID_REQUEST', grpcCode: 3 });
    }
    await expect(source.client.getStreamStatus({ stream_id: 'mig-9/9' }, opts())).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND', grpcCode: 5 });
    await expect(source.client.stopStreaming({ stream_id: 'mig-9/9' }, opts())).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND', grpcCode: 5 });
  }, 120_000);

  it('a restarted source knows no streams: GetStreamStatus answers STREAM_NOT_FOUND', async () => {
    const b = await newTarget();
    await start(b, 'mig-1/6', { batch_size: 10, max_bytes_per_sec: '2048' });
    expect((await source.client.getStreamStatus({ stream_id: 'mig-1/6' }, opts())).stream_id).toBe('mig-1/6');
    // SIGTERM with a stream running: the stream is stopped (its scan closed) and the node still stops cleanly.
    const proc = source.proc;
    source = await restart(source, 'SIGTERM');
    expect(await proc.exited).toBe(0);
    await expect(source.client.getStreamStatus({ stream_id: 'mig-1/6' }, opts())).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND', grpcCode: 5 });
    // The data survived the restart: a new stream of the same id completes.
    const expected = expectedRecords();
    const b2 = await newTarget();
    await start(b2, 'mig-1/6');
    const done = await until('mig-1/6', finished, 'stream after restart finished');
    expect(done.state).toBe('STREAM_COMPLETED');
    expect(new Map(await scanAll(b2))).toEqual(new Map(expected));
  }, 180_000);
});
