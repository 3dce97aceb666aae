import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayCall } from './cluster-harness.js';
import { LocalCluster } from '../../src/bench/local-cluster.js';
import { descendant, encodedOn, eventually, metricValue, plant, versionsOn } from './replicas.js';

/**
 * Read repair on real processes (cluster.md §7 step 6): two storage nodes and RF 2, so every key lives on both and
 * a quorum read asks both. A version planted on s1 alone leaves s2 stale (or without the key); a quorum read through
 * the gateway must bring s2 up to s1 — eventually in the default async mode, before the answer with
 * `--read-repair sync`, never with `--read-repair off`. The coordinator is restarted between the modes.
 */

let dataDir = '';
let cluster: LocalCluster;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pairdb-read-repair-it-'));
  cluster = new LocalCluster({ dataDir, nodes: 2 });
  await cluster.start();
  const t = await api('POST', '/v1/tenants', { tenant_id: 'rr', replication_factor: 2 });
  expect(t.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const api = (method: string, path: string, body?: unknown) => gatewayCall(cluster.gatewayUrl, method, path, body);

/** A gateway call retried while the gateway has no coordinator yet (just after a coordinator restart). */
async function apiReady(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  for (let i = 0; ; i++) {
    const r = await api(method, path, body);
    if (r.status !== 503 || i >= 100) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

const s1 = () => cluster.storage[0]!;
const s2 = () => cluster.storage[1]!;
const read = (key: string) => apiReady('GET', `/v1/key-value?tenant_id=rr&key=${encodeURIComponent(key)}&consistency=quorum`);
const sent = () => metricValue(`${cluster.coordinatorAdminUrl}/metrics`, 'pairdb_coordinator_read_repairs_total{result="sent"}');

/** Writes `key` through the gateway (both replicas), then plants a newer value on s1 only: s2 is stale. */
async function staleOnS2(key: string, planted: unknown): Promise<void> {
  const w = await apiReady('POST', '/v1/key-value', { tenant_id: 'rr', key, value: 'old', consistency: 'all' });
  expect(w.status, JSON.stringify(w.body)).toBe(200);
  const stored = await versionsOn(s1(), 'rr', key);
  expect(stored).toHaveLength(1);
  expect(await encodedOn(s2(), 'rr', key)).toEqual(await encodedOn(s1(), 'rr', key));
  await plant(s1(), 'rr', key, descendant(stored, planted, true));
  expect(await encodedOn(s2(), 'rr', key)).not.toEqual(await encodedOn(s1(), 'rr', key));
}

/** Plants a key on s1 only: s2 has no version of it at all. */
async function missingOnS2(key: string, value: unknown): Promise<void> {
  await plant(s1(), 'rr', key, descendant([], value, true));
  expect(await versionsOn(s2(), 'rr', key)).toEqual([]);
}

const inSync = async (key: string): Promise<boolean> => {
  const a = await encodedOn(s1(), 'rr', key);
  return a.length > 0 && JSON.stringify(a) === JSON.stringify(await encodedOn(s2(), 'rr', key));
};

describe('read repair (real processes)', () => {
  it('async (default): a quorum read repairs a stale and a missing replica soon after it answers', async () => {
    const before = await sent();
    await staleOnS2('async-stale', 'new');
    const r = await read('async-stale');
    expect([r.status, r.body.value]).toEqual([200, 'new']);
    await eventually('s2 repaired', () => inSync('async-stale'));

    await missingOnS2('async-missing', 'only-on-s1');
    const m = await read('async-missing');
    expect([m.status, m.body.value]).toEqual([200, 'only-on-s1']);
    await eventually('s2 got the missing key', () => inSync('async-missing'));
    await eventually('repairs counted', async () => (await sent()) >= before + 2);
  }, 60_000);

  it('sync: the repair has landed on the stale replica when the read returns, tombstones included', async () => {
    await cluster.killCoordinator('SIGTERM');
    await cluster.restartCoordinator(['--read-repair', 'sync']);
    const before = await sent();

    await staleOnS2('sync-stale', 'new');
    const r = await read('sync-stale');
    expect([r.status, r.body.value]).toEqual([200, 'new']);
    expect(await inSync('sync-stale')).toBe(true); // no waiting: the read awaited the repair
    expect(await sent()).toBe(before + 1);

    await missingOnS2('sync-missing', 'only-on-s1');
    expect((await read('sync-missing')).body.value).toBe('only-on-s1');
    expect(await inSync('sync-missing')).toBe(true);

    // A delete that reached s1 only: the read answers 404 and hands s2 the tombstone, which replaces its value.
    await staleOnS2('sync-deleted', undefined);
    const d = await read('sync-deleted');
    expect([d.status, d.body.error_code]).toEqual([404, 'KEY_NOT_FOUND']);
    expect(await inSync('sync-deleted')).toBe(true);
    const onS2 = await versionsOn(s2(), 'rr', 'sync-deleted');
    expect(onS2.map((v) => v.tombstone)).toEqual([true]);
    expect(await sent()).toBe(before + 3);
  }, 60_000);

  it('off: a read answers the newest version but leaves the stale replica as it was', async () => {
    await cluster.killCoordinator('SIGTERM');
    await cluster.restartCoordinator(['--read-repair', 'off']);
    await staleOnS2('off-stale', 'new');
    const staleBefore = await encodedOn(s2(), 'rr', 'off-stale');
    for (let i = 0; i < 3; i++) expect((await read('off-stale')).body.value).toBe('new');
    // A queued repair would land within milliseconds; give it ample time to (wrongly) happen.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await encodedOn(s2(), 'rr', 'off-stale')).toEqual(staleBefore);
    expect(await inSync('off-stale')).toBe(false);
    expect(await sent()).toBe(0);
  }, 60_000);

  it('async with a full queue: the repair is dropped and counted as such', async () => {
    await cluster.killCoordinator('SIGTERM');
    await cluster.restartCoordinator(['--read-repair-queue', '0']); // async, but no room: every job is dropped
    await staleOnS2('full-stale', 'new');
    const staleBefore = await encodedOn(s2(), 'rr', 'full-stale');
    expect((await read('full-stale')).body.value).toBe('new');
    const dropped = () => metricValue(`${cluster.coordinatorAdminUrl}/metrics`, 'pairdb_coordinator_read_repairs_total{result="dropped"}');
    await eventually('the drop counted', async () => (await dropped()) === 1);
    expect(await sent()).toBe(0);
    expect(await encodedOn(s2(), 'rr', 'full-stale')).toEqual(staleBefore);
  }, 60_000);
});
