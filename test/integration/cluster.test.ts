import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../src/bench/local-cluster.js';

/**
 * The whole path with real processes: gateway → coordinator → 3 storage nodes on 127.0.0.1, started from the
 * built bin/pairdb (run `npm run build` first; `npm test` does).
 */

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

describe('cluster of real processes', () => {
  let dataDir: string;
  let cluster: LocalCluster;
  let url: string;
  const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => call(url, method, path, body, headers);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pairdb-it-'));
    cluster = new LocalCluster({ dataDir, nodes: 3 });
    await cluster.start();
    url = cluster.gatewayUrl;
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('meets the compatibility requirements of http-api.md §11 (1–5)', async () => {
    expect((await api('GET', '/health')).status).toBe(200);
    const created = await api('POST', '/v1/tenants', { tenant_id: 't-1a2b', replication_factor: 2 });
    expect(created.status).toBe(201);
    expect(created.body.tenant_id).toBe('t-1a2b');
    expect(created.body.replication_factor).toBe(2);
    const again = await api('POST', '/v1/tenants', { tenant_id: 't-1a2b', replication_factor: 2 });
    expect(again.status).toBe(409);
    expect(again.body.error_code).toBe('TENANT_EXISTS');

    const put = await api('POST', '/v1/key-value', { tenant_id: 't-1a2b', key: 'k-1', value: 'v-1712', consistency: 'quorum' });
    expect(put.status).toBe(200);
    expect(put.body.status).toBe('success');
    expect(put.body.replica_count).toBeGreaterThanOrEqual(2);

    const get = await api('GET', '/v1/key-value?tenant_id=t-1a2b&key=k-1&consistency=quorum');
    expect(get.status).toBe(200);
    expect(get.body.value).toBe('v-1712');

    const del = await api('DELETE', '/v1/key-value', { tenant_id: 't-1a2b', key: 'k-1' });
    expect(del.status).toBe(200);
    const gone = await api('GET', '/v1/key-value?tenant_id=t-1a2b&key=k-1');
    expect(gone.status).toBe(404);
    expect(gone.body.error_code).toBe('KEY_NOT_FOUND');
    const delAgain = await api('DELETE', '/v1/key-value?tenant_id=t-1a2b&key=k-1');
    expect(delAgain.status).toBe(404);
    expect(delAgain.body.error_code).toBe('KEY_NOT_FOUND');
  });

  it('lets one tenant do 60 writes and 50 reads from 5 clients on fresh connections without a 429 (§11.6)', async () => {
    await api('POST', '/v1/tenants', { tenant_id: 'burst', replication_factor: 3 });
    const statuses: number[] = [];
    const client = async (c: number): Promise<void> => {
      for (let i = 0; i < 12; i++) {
        const w = await call(url, 'POST', '/v1/key-value', { tenant_id: 'burst', key: `c${c}-${i}`, value: i }, { connection: 'close' });
        statuses.push(w.status);
        if (i < 10) {
          const r = await call(url, 'GET', `/v1/key-value?tenant_id=burst&key=c${c}-${i}`, undefined, { connection: 'close' });
          statuses.push(r.status);
        }
      }
    };
    await Promise.all([0, 1, 2, 3, 4].map(client));
    expect(statuses).toHaveLength(110);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('round-trips JSON values exactly (http-api.md §4.4)', async () => {
    await api('POST', '/v1/tenants', { tenant_id: 'fidelity', replication_factor: 3 });
    const values = [null, true, 0, 1.5, -2e-7, 'héllo 😀 \u2028', [1, 'a', { b: null }], { z: 1, a: [2], m: { x: 'y' } }];
    for (const [i, value] of values.entries()) {
      expect((await api('POST', '/v1/key-value', { tenant_id: 'fidelity', key: `v${i}`, value })).status).toBe(200);
      const got = await api('GET', `/v1/key-value?tenant_id=fidelity&key=v${i}`);
      expect(got.status).toBe(200);
      expect(JSON.stringify(got.body.value)).toBe(JSON.stringify(value));
    }
  });

  it('answers TENANT_NOT_FOUND for an unknown tenant and INVALID_REPLICATION_FACTOR above the node count', async () => {
    const put = await api('POST', '/v1/key-value', { tenant_id: 'nobody', key: 'k', value: 1 });
    expect(put.status).toBe(404);
    expect(put.body.error_code).toBe('TENANT_NOT_FOUND');
    const get = await api('GET', '/v1/key-value?tenant_id=nobody&key=k');
    expect(get.status).toBe(404);
    expect(get.body.error_code).toBe('TENANT_NOT_FOUND');
    const rf = await api('POST', '/v1/tenants', { tenant_id: 'too-big', replication_factor: 4 });
    expect(rf.status).toBe(400);
    expect(rf.body.error_code).toBe('INVALID_REPLICATION_FACTOR');
  });

  it('supersedes the read clocks on a write without context, and a stale context makes siblings in siblings mode', async () => {
    await api('POST', '/v1/tenants', { tenant_id: 'sib', replication_factor: 3, conflict_resolution: 'siblings' });
    const first = await api('POST', '/v1/key-value', { tenant_id: 'sib', key: 'cart', value: ['a'] });
    expect(first.status).toBe(200);
    const second = await api('POST', '/v1/key-value', { tenant_id: 'sib', key: 'cart', value: ['b'] });
    expect(second.status).toBe(200);
    let read = await api('GET', '/v1/key-value?tenant_id=sib&key=cart');
    expect(read.body.value).toEqual(['b']);
    expect(read.body.siblings).toBeUndefined();
    // A write with the empty context saw nothing: it is concurrent with ['b'] → two siblings.
    const concurrent = await api('POST', '/v1/key-value', { tenant_id: 'sib', key: 'cart', value: ['c'], vector_clock: {} });
    expect(concurrent.status).toBe(200);
    read = await api('GET', '/v1/key-value?tenant_id=sib&key=cart');
    expect(read.status).toBe(200);
    expect(read.body.siblings).toHaveLength(2);
    expect(read.body.siblings.map((s: any) => s.value).sort()).toEqual([['b'], ['c']]);
    // Writing back with the merged context resolves them.
    const resolved = await api('POST', '/v1/key-value', { tenant_id: 'sib', key: 'cart', value: ['b', 'c'], vector_clock: read.body.vector_clock });
    expect(resolved.status).toBe(200);
    read = await api('GET', '/v1/key-value?tenant_id=sib&key=cart');
    expect(read.body.value).toEqual(['b', 'c']);
    expect(read.body.siblings).toBeUndefined();
  });

  it('drops one of two concurrent writes in lww mode, keeping the LWW-greater (cluster.md §5)', async () => {
    await api('POST', '/v1/tenants', { tenant_id: 'lww', replication_factor: 3 });
    const a = await api('POST', '/v1/key-value', { tenant_id: 'lww', key: 'k', value: 'a', vector_clock: {} });
    const b = await api('POST', '/v1/key-value', { tenant_id: 'lww', key: 'k', value: 'b', vector_clock: {} });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const read = await api('GET', '/v1/key-value?tenant_id=lww&key=k&consistency=all');
    expect(read.status).toBe(200);
    expect(read.body.siblings).toBeUndefined();
    // b was made later by the same coordinator, so its hybrid time is larger: it wins, a is gone.
    expect(read.body.value).toBe('b');
  });

  it('keeps acknowledged data across a graceful restart of a storage node', async () => {
    await api('POST', '/v1/tenants', { tenant_id: 'durable', replication_factor: 3 });
    for (let i = 0; i < 20; i++) {
      expect((await api('POST', '/v1/key-value', { tenant_id: 'durable', key: `k${i}`, value: i, consistency: 'all' })).status).toBe(200);
    }
    expect(await cluster.killStorage(0, 'SIGTERM')).toBe(0);
    await cluster.restartStorage(0);
    // `all` needs every replica, the restarted one included, to answer with the data.
    for (let i = 0; i < 20; i++) {
      let got = await api('GET', `/v1/key-value?tenant_id=durable&key=k${i}&consistency=all`);
      for (let t = 0; t < 40 && got.status === 503; t++) {
        await new Promise((r) => setTimeout(r, 250)); // the coordinator notices the node is back
        got = await api('GET', `/v1/key-value?tenant_id=durable&key=k${i}&consistency=all`);
      }
      expect(got.status).toBe(200);
      expect(got.body.value).toBe(i);
    }
  });

  it('survives kill -9 of one of three storage nodes: quorum works, all answers 503 QUORUM_NOT_REACHED', async () => {
    await api('POST', '/v1/tenants', { tenant_id: 'faulty', replication_factor: 3 });
    expect((await api('POST', '/v1/key-value', { tenant_id: 'faulty', key: 'before', value: 'x', consistency: 'all' })).status).toBe(200);
    await cluster.killStorage(2, 'SIGKILL');

    for (let i = 0; i < 10; i++) {
      const w = await api('POST', '/v1/key-value', { tenant_id: 'faulty', key: `k${i}`, value: i, consistency: 'quorum' });
      expect(w.status).toBe(200);
      const r = await api('GET', `/v1/key-value?tenant_id=faulty&key=k${i}&consistency=quorum`);
      expect(r.status).toBe(200);
      expect(r.body.value).toBe(i);
    }
    expect((await api('GET', '/v1/key-value?tenant_id=faulty&key=before&consistency=quorum')).body.value).toBe('x');

    const wAll = await api('POST', '/v1/key-value', { tenant_id: 'faulty', key: 'all-write', value: 1, consistency: 'all' });
    expect(wAll.status).toBe(503);
    expect(wAll.body.error_code).toBe('QUORUM_NOT_REACHED');
    expect(['unknown', 'not_applied']).toContain(wAll.body.outcome);
    expect(typeof wAll.body.idempotency_key).toBe('string');
    const rAll = await api('GET', '/v1/key-value?tenant_id=faulty&key=before&consistency=all');
    expect(rAll.status).toBe(503);
    expect(rAll.body.error_code).toBe('QUORUM_NOT_REACHED');

    // The node comes back with its data (written before the crash at `all`).
    await cluster.restartStorage(2);
    let back = await api('GET', '/v1/key-value?tenant_id=faulty&key=before&consistency=all');
    for (let t = 0; t < 40 && back.status !== 200; t++) {
      await new Promise((r) => setTimeout(r, 250));
      back = await api('GET', '/v1/key-value?tenant_id=faulty&key=before&consistency=all');
    }
    expect(back.status).toBe(200);
    expect(back.body.value).toBe('x');
  });

  it('lists the storage nodes through the admin API', async () => {
    const res = await api('GET', '/v1/admin/storage-nodes');
    expect(res.status).toBe(200);
    expect(res.body.nodes.map((n: any) => n.node_id)).toEqual(['s1', 's2', 's3']);
    for (const n of res.body.nodes) {
      expect(n.host).toBe('127.0.0.1');
      expect(n.virtual_nodes).toBe(150);
    }
  });
});
