import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayAnswer, gatewayCall } from './cluster-harness.js';
import { LocalCluster } from '../../src/bench/local-cluster.js';
import { CoordinatorClient } from '../../src/core/rpc/clients.js';
import { encodedOn, eventually, versionsOn } from './replicas.js';
import { TcpProxy } from './tcp-proxy.js';

/**
 * Idempotency on real processes (cluster.md §12, http-api.md §5, invariant 6): three storage nodes, s3 behind a
 * TcpProxy so a write can be made slow. A duplicate whose deadline ends before the original finishes gets
 * IDEMPOTENCY_KEY_IN_USE, a patient one the original answer; a write whose record was lost with the coordinator's
 * memory adds no version when replayed; a failed original leaves no record; a delete may not reuse a put's key.
 */

let dataDir = '';
let cluster: LocalCluster;
let s3Proxy: TcpProxy | undefined;
let coordinator: CoordinatorClient;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pairdb-idempotency-it-'));
  cluster = new LocalCluster({
    dataDir,
    nodes: 3,
    // Room for s3's delayed answers below (each RPC ≈ 1.4 s) on a busy machine.
    coordinatorArgs: ['--replica-timeout', '5s'],
    registerPort: async (n) => {
      if (n.nodeId !== 's3') return n.port;
      s3Proxy = await TcpProxy.start({ port: n.port });
      return s3Proxy.port;
    },
  });
  await cluster.start();
  coordinator = new CoordinatorClient(cluster.coordinatorAddress);
  for (const [tenant_id, mode] of [['idem-lww', 'lww'], ['idem-sib', 'siblings']] as const) {
    const t = await api('POST', '/v1/tenants', { tenant_id, replication_factor: 3, conflict_resolution: mode });
    expect(t.status).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  coordinator?.close();
  await cluster?.stop();
  await s3Proxy?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

type Answer = GatewayAnswer;
const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> =>
  gatewayCall(cluster.gatewayUrl, method, path, body, headers);

/** A POST retried with the same key while the gateway has no coordinator (right after a coordinator restart). */
async function postUntilServed(body: unknown, key: string): Promise<Answer> {
  for (let i = 0; ; i++) {
    const r = await api('POST', '/v1/key-value', body, { 'idempotency-key': key });
    if (r.status !== 503 || r.body.error_code !== 'SERVICE_UNAVAILABLE' || i >= 100) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

const opts = (ms: number) => ({ requestId: '', deadlineMs: Date.now() + ms });
const storage = () => cluster.storage;
const replicaSets = (tenant: string, key: string) => Promise.all(storage().map((n) => encodedOn(n, tenant, key)));
/** Body of a write answer with is_duplicate left out: a replay must equal the original in everything else. */
const withoutDuplicateFlag = (b: Record<string, unknown>) => Object.fromEntries(Object.entries(b).filter(([k]) => k !== 'is_duplicate'));

/** A stored version's clock as the JSON object the gateway answers with. */
const clockJson = (c: readonly { actor: string; counter: number }[]) => Object.fromEntries(c.map((e) => [e.actor, e.counter]));

describe('idempotency (real processes)', () => {
  it('a duplicate whose deadline ends first gets IDEMPOTENCY_KEY_IN_USE; a patient one replays the original answer', async () => {
    const body = { tenant_id: 'idem-lww', key: 'slow', value: { n: 1 }, consistency: 'all' };
    let first: Answer;
    let second: Answer;
    // s3's bytes take 700 ms each way: the original's read step and its write each need s3 (`all`), ≈ 2.8 s in all.
    s3Proxy!.setDelay(700);
    try {
      let originalDoneAt = 0;
      const original = api('POST', '/v1/key-value', body, { 'idempotency-key': 'slow-1' }).then((r) => {
        originalDoneAt = Date.now();
        return r;
      });
      await new Promise((r) => setTimeout(r, 600)); // the original holds the record by now
      // Straight to the coordinator with a 1.1 s deadline: it may wait only 600 ms (deadline − 500 ms).
      let impatientAt = 0;
      const impatient = coordinator
        .write({ tenant_id: 'idem-lww', key: 'slow', value: Buffer.from('{"n":1}'), consistency: 'CONSISTENCY_ALL', idempotency_key: 'slow-1' }, opts(1100))
        .then(
          () => 'answered',
          (e: { code?: string }) => {
            impatientAt = Date.now();
            return e.code;
          },
        );
      const patient = api('POST', '/v1/key-value', body, { 'idempotency-key': 'slow-1' });
      expect(await impatient).toBe('IDEMPOTENCY_KEY_IN_USE');
      [first, second] = await Promise.all([original, patient]);
      expect(impatientAt).toBeLessThan(originalDoneAt); // it gave up while the original still ran
    } finally {
      s3Proxy!.setDelay(0);
    }
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect([first.body.is_duplicate, second.body.is_duplicate]).toEqual([false, true]);
    expect([first.headers.get('x-idempotency-status'), second.headers.get('x-idempotency-status')]).toEqual(['recorded', 'replayed']);
    expect(withoutDuplicateFlag(second.body)).toEqual(withoutDuplicateFlag(first.body));
    // One write happened: every replica holds one version, the one answered.
    const sets = await replicaSets('idem-lww', 'slow');
    for (const s of sets) expect(s).toHaveLength(1);
    expect(new Set(sets.map((s) => s[0])).size).toBe(1);
    const stored = await versionsOn(storage()[0]!, 'idem-lww', 'slow');
    expect(clockJson(stored[0]!.clock)).toEqual(first.body.vector_clock);
  }, 60_000);

  it('a write whose record died with the coordinator adds no version when replayed with its key (write-id memory)', async () => {
    // Three paths to the replicas: no context (the read step finds the write id), a context in LWW mode (no read:
    // every replica answers DUPLICATE), a context in siblings mode (where a second write would stay as a sibling).
    const writes = [
      { tenant_id: 'idem-lww', key: 'lost-plain', value: 'p', consistency: 'quorum' },
      { tenant_id: 'idem-lww', key: 'lost-ctx', value: 'c', consistency: 'quorum', vector_clock: {} },
      { tenant_id: 'idem-sib', key: 'lost-sib', value: 's', consistency: 'quorum', vector_clock: {} },
    ];
    const originals: Answer[] = [];
    for (const w of writes) {
      const r = await api('POST', '/v1/key-value', w, { 'idempotency-key': `lost-${w.key}` });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.is_duplicate).toBe(false);
      originals.push(r);
    }
    // Quorum-acked: let the third replica's copy land too, so "no new version anywhere" is checkable.
    for (const w of writes) {
      await eventually(`${w.key} on every replica`, async () => (await replicaSets(w.tenant_id, w.key)).every((s) => s.length === 1));
    }
    const before = await Promise.all(writes.map((w) => replicaSets(w.tenant_id, w.key)));

    await cluster.killCoordinator('SIGKILL');
    await cluster.restartCoordinator();

    for (const [i, w] of writes.entries()) {
      const replay = await postUntilServed(w, `lost-${w.key}`);
      expect(replay.status, JSON.stringify(replay.body)).toBe(200);
      expect(replay.body.is_duplicate, w.key).toBe(true);
      expect(replay.headers.get('x-idempotency-status')).toBe('replayed');
      expect(replay.body.vector_clock, w.key).toEqual(originals[i]!.body.vector_clock);
      expect(await replicaSets(w.tenant_id, w.key), w.key).toEqual(before[i]);
    }
  }, 90_000);

  it('the same key for a delete after a put is IDEMPOTENCY_KEY_CONFLICT and deletes nothing; HTTP DELETE ignores the header', async () => {
    const put = await api('POST', '/v1/key-value', { tenant_id: 'idem-lww', key: 'del', value: 1 }, { 'idempotency-key': 'shared-1' });
    expect(put.status).toBe(200);
    await expect(
      coordinator.delete({ tenant_id: 'idem-lww', key: 'del', consistency: 'CONSISTENCY_QUORUM', idempotency_key: 'shared-1' }, opts(10_000)),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_CONFLICT' });
    expect((await api('GET', '/v1/key-value?tenant_id=idem-lww&key=del&consistency=all')).body.value).toBe(1);
    // A delete of its own with that key, then a put reusing it: the put conflicts with the delete.
    const del = await coordinator.delete({ tenant_id: 'idem-lww', key: 'del2', consistency: 'CONSISTENCY_QUORUM', idempotency_key: 'shared-2' }, opts(10_000)).catch((e: { code: string }) => e.code);
    expect(del).toBe('KEY_NOT_FOUND'); // nothing to delete: no record stays, the key is free
    expect((await api('POST', '/v1/key-value', { tenant_id: 'idem-lww', key: 'del2', value: 2 }, { 'idempotency-key': 'shared-2' })).status).toBe(200);
    const del2 = await coordinator.delete({ tenant_id: 'idem-lww', key: 'del2', consistency: 'CONSISTENCY_QUORUM', idempotency_key: 'shared-2' }, opts(10_000)).catch((e: { code: string }) => e.code);
    expect(del2).toBe('IDEMPOTENCY_KEY_CONFLICT');
    // http-api.md §3: Idempotency-Key is ignored on DELETE, so the put's key does not block it there.
    const httpDel = await api('DELETE', '/v1/key-value?tenant_id=idem-lww&key=del', undefined, { 'idempotency-key': 'shared-1' });
    expect(httpDel.status, JSON.stringify(httpDel.body)).toBe(200);
    expect((await api('GET', '/v1/key-value?tenant_id=idem-lww&key=del&consistency=all')).status).toBe(404);
  }, 60_000);

  it('a failed original leaves no record: the retry with its key performs the write', async () => {
    const body = { tenant_id: 'idem-lww', key: 'retry', value: 'r', consistency: 'all' };
    await cluster.killStorage(2);
    try {
      const failed = await api('POST', '/v1/key-value', body, { 'idempotency-key': 'retry-1' });
      expect(failed.status, JSON.stringify(failed.body)).toBe(503);
      expect(failed.body).toMatchObject({ error_code: 'QUORUM_NOT_REACHED', outcome: 'not_applied', idempotency_key: 'retry-1' });
      expect(failed.headers.get('retry-after')).toBe('1');
    } finally {
      await cluster.restartStorage(2);
    }
    await eventually('s3 serves `all` again', async () => (await api('GET', '/v1/key-value?tenant_id=idem-lww&key=slow&consistency=all')).status === 200, 30_000);
    const retry = await api('POST', '/v1/key-value', body, { 'idempotency-key': 'retry-1' });
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.body.is_duplicate).toBe(false);
    expect(retry.headers.get('x-idempotency-status')).toBe('recorded');
    for (const s of await replicaSets('idem-lww', 'retry')) expect(s).toHaveLength(1);
  }, 90_000);
});
