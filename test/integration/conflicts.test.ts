import { describe, expect, it } from 'vitest';
import { StorageClient } from '../../src/core/rpc/clients.js';
import { versionFromWire } from '../../src/core/model/version-wire.js';
import { encs } from '../core/engine/helpers.js';
import { clusterHarness } from './cluster-harness.js';

/**
 * Concurrency on real processes (issue 4): identical idempotent writes make one version, a different body with the
 * same key is refused; concurrent writers in siblings mode lose nothing; in LWW mode every replica ends with the same
 * single winner.
 */

describe('conflicts and idempotency (real processes)', () => {
  const h = clusterHarness('pairdb-conflicts-it-');
  const api = h.api;

  /** The versions every replica holds for a key, read directly over the storage RPC. */
  const replicaSets = async (tenant: string, key: string): Promise<string[][]> => {
    const out: string[][] = [];
    for (const n of h.cluster.storage) {
      const c = new StorageClient(`127.0.0.1:${n.port}`);
      try {
        const r = await c.readUnary({ tenant_id: tenant, key, topology_epoch: '0' }, { requestId: '', deadlineMs: Date.now() + 5000 });
        out.push(encs((r.record?.versions ?? []).map(versionFromWire)).sort());
      } finally {
        c.close();
      }
    }
    return out;
  };

  it('20 concurrent identical idempotent writes store one version; another body with the key is IDEMPOTENCY_KEY_CONFLICT', async () => {
    expect((await api('POST', '/v1/tenants', { tenant_id: 'idem', replication_factor: 3, conflict_resolution: 'siblings' })).status).toBe(201);
    const body = { tenant_id: 'idem', key: 'order', value: { n: 1 }, consistency: 'all' };
    const answers = await Promise.all(Array.from({ length: 20 }, () => api('POST', '/v1/key-value', body, { 'idempotency-key': 'order-7781' })));
    for (const a of answers) expect([200, 409], JSON.stringify(a.body)).toContain(a.status);
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.filter((a) => a.body.is_duplicate === false)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body.error_code).toBe('IDEMPOTENCY_KEY_IN_USE');
    // Siblings mode would keep every extra write as a sibling: exactly one version means exactly one write.
    const sets = await replicaSets('idem', 'order');
    for (const s of sets) expect(s).toHaveLength(1);
    expect(new Set(sets.map((s) => JSON.stringify(s))).size).toBe(1);
    const other = await api('POST', '/v1/key-value', { ...body, value: { n: 2 } }, { 'idempotency-key': 'order-7781' });
    expect(other.status).toBe(400);
    expect(other.body.error_code).toBe('IDEMPOTENCY_KEY_CONFLICT');
    expect((await replicaSets('idem', 'order'))[0]).toHaveLength(1);
  }, 60_000);

  it('siblings mode keeps every concurrent write; LWW leaves one identical winner on every replica', async () => {
    expect((await api('POST', '/v1/tenants', { tenant_id: 'sib', replication_factor: 3, conflict_resolution: 'siblings' })).status).toBe(201);
    expect((await api('POST', '/v1/tenants', { tenant_id: 'lww', replication_factor: 3, conflict_resolution: 'lww' })).status).toBe(201);
    const writers = 8;
    for (const tenant of ['sib', 'lww']) {
      const res = await Promise.all(
        // Every writer saw nothing (context `{}`, http-api.md §4.2): the writes are concurrent with each other. (A
        // write without a context would supersede whatever the coordinator read — not a conflict.)
        Array.from({ length: writers }, (_, i) =>
          api('POST', '/v1/key-value', { tenant_id: tenant, key: 'cart', value: `w${i}`, consistency: 'all', vector_clock: {} }),
        ),
      );
      for (const r of res) expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const sib = await api('GET', '/v1/key-value?tenant_id=sib&key=cart&consistency=all');
    expect(sib.status).toBe(200);
    const values = new Set([sib.body.value, ...(sib.body.siblings ?? []).map((s: { value: unknown }) => s.value)]);
    // Concurrent writes in siblings mode: none may be lost.
    expect([...values].sort()).toEqual(Array.from({ length: writers }, (_, i) => `w${i}`).sort());
    const lwwSets = await replicaSets('lww', 'cart');
    for (const s of lwwSets) expect(s).toHaveLength(1);
    expect(new Set(lwwSets.map((s) => JSON.stringify(s))).size).toBe(1);
    const lww = await api('GET', '/v1/key-value?tenant_id=lww&key=cart&consistency=all');
    expect(lww.body.siblings).toBeUndefined();
  }, 60_000);
  it('a client write that would make a 65th sibling is SIBLING_LIMIT_EXCEEDED; a write with the read context resolves all 64', async () => {
    expect((await api('POST', '/v1/tenants', { tenant_id: 'cap', replication_factor: 3, conflict_resolution: 'siblings' })).status).toBe(201);
    // One at a time with context {}: each is concurrent with all the others (the coordinator serializes siblings-mode
    // writes of one key anyway).
    for (let i = 0; i < 64; i++) {
      const r = await api('POST', '/v1/key-value', { tenant_id: 'cap', key: 'k', value: `s${i}`, consistency: 'all', vector_clock: {} });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const over = await api('POST', '/v1/key-value', { tenant_id: 'cap', key: 'k', value: 's64', consistency: 'all', vector_clock: {} });
    expect(over.status).toBe(409);
    expect(over.body.error_code).toBe('SIBLING_LIMIT_EXCEEDED');
    const read = await api('GET', '/v1/key-value?tenant_id=cap&key=k&consistency=all');
    expect(read.body.siblings).toHaveLength(64);
    // A write with the read's context resolves them all into one version.
    const resolved = await api('POST', '/v1/key-value', { tenant_id: 'cap', key: 'k', value: 'merged', consistency: 'all', vector_clock: read.body.vector_clock });
    expect(resolved.status).toBe(200);
    for (const set of await replicaSets('cap', 'k')) expect(set).toHaveLength(1);
  }, 120_000);
});
