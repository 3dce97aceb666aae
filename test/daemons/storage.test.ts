import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaultFileSystem } from '../../src/core/engine/fault-file-system.js';
import { versionToWire } from '../../src/core/model/version-wire.js';
import { silentLogger } from '../../src/core/observability/logger.js';
import type * as pb from '../../src/core/rpc/types.js';
import { StorageDaemon } from '../../src/daemons/storage.js';
import { ver } from '../core/engine/helpers.js';
import { storageDaemonHarness } from './storage-harness.js';

const harness = storageDaemonHarness('pairdb-storage-daemon-', { adminPort: 0 });
const startDaemon = harness.start;

const opts = () => ({ requestId: 'test', deadlineMs: Date.now() + 5000 });

function now(): number {
  return Date.now() * 1000;
}

function writeReq(v: pb.Version, purpose: pb.WriteRequest['purpose'] = 'PURPOSE_CLIENT', key = 'user:1'): pb.WriteRequest {
  return { record: { tenant_id: 'acme', key, versions: [v] }, purpose, topology_epoch: 1 };
}

describe('StorageDaemon', () => {
  it('writes over the pipe and reads back over the pipe and unary, tombstones and write ids included', async () => {
    const { client } = await startDaemon();
    const v = ver({ ht: now(), value: '"hello"', writeId: 'w-1' });
    const res = await client.write(writeReq(versionToWire(v)), opts());
    expect(res.outcome).toBe('OUTCOME_APPLIED');
    expect(res.version_count).toBe(1);
    expect(res.current_clock!.entries.map((e) => [e.actor, Number(e.counter)])).toEqual([['c1', v.clock[0]!.counter]]);

    const read = await client.read({ tenant_id: 'acme', key: 'user:1' }, opts());
    expect(read.found).toBe(true);
    expect(read.record!.versions).toHaveLength(1);
    expect(read.record!.versions[0]!.value.toString()).toBe('"hello"');
    expect(read.record!.recent_writes.map((e) => e.write_id.toString())).toEqual(['w-1']);

    const t = ver({ ht: now() + 10, tombstone: true, writeId: 'w-2', clock: { c1: v.clock[0]!.counter } });
    const del = await client.writeUnary(writeReq(versionToWire(t)), opts());
    expect(del.outcome).toBe('OUTCOME_APPLIED');
    const unary = await client.readUnary({ tenant_id: 'acme', key: 'user:1' }, opts());
    expect(unary.found).toBe(true);
    expect(unary.record!.versions.map((x) => x.tombstone)).toEqual([true]);

    const missing = await client.read({ tenant_id: 'acme', key: 'nope' }, opts());
    expect(missing.found).toBe(false);
  });

  it('answers DUPLICATE to a replayed CLIENT write id and DOMINATED to a stale version', async () => {
    const { client } = await startDaemon();
    const first = ver({ ht: now(), writeId: 'same-client-write' });
    await client.write(writeReq(versionToWire(first)), opts());
    const retry = ver({ ht: now() + 5000, writeId: 'same-client-write', value: '"retry"' });
    const dup = await client.write(writeReq(versionToWire(retry)), opts());
    expect(dup.outcome).toBe('OUTCOME_DUPLICATE');
    expect(dup.version_count).toBe(1);
    const stale = ver({ ht: now() - 10_000_000 });
    expect((await client.write(writeReq(versionToWire(stale), 'PURPOSE_READ_REPAIR'), opts())).outcome).toBe('OUTCOME_DOMINATED');
    const read = await client.read({ tenant_id: 'acme', key: 'user:1' }, opts());
    expect(read.record!.versions.map((x) => x.value.toString())).toEqual(['"v"']);
  });

  it('answers the merged clock of siblings', async () => {
    const { client } = await startDaemon();
    const a = ver({ writer: 'c1', ht: now() });
    const b = ver({ writer: 'c2', ht: now() + 1 });
    await client.write(writeReq(versionToWire(a)), opts());
    const res = await client.write(writeReq(versionToWire(b)), opts());
    expect(res.version_count).toBe(2);
    expect(res.current_clock!.entries.map((e) => e.actor)).toEqual(['c1', 'c2']);
  });

  it('rejects bad requests with INVALID_REQUEST', async () => {
    const { client } = await startDaemon();
    const good = versionToWire(ver({ ht: now() }));
    const bad: Array<[string, pb.WriteRequest]> = [
      ['purpose unspecified', writeReq(good, 'WRITE_PURPOSE_UNSPECIFIED')],
      ['empty clock', writeReq({ ...good, clock: { entries: [] } })],
      ['writer missing from the clock', writeReq({ ...good, writer_id: 'c9' })],
      ['timestamp not floor(ht/1000)', writeReq({ ...good, timestamp_ms: 5 })],
      ['tombstone with a value', writeReq({ ...good, tombstone: true })],
      ['duplicate actor', writeReq({ ...good, clock: { entries: [{ actor: 'c1', counter: 5 }, { actor: 'c1', counter: 6 }] } })],
      ['bad tenant', { record: { tenant_id: 'a:b', key: 'k', versions: [good] }, purpose: 'PURPOSE_CLIENT' }],
      ['empty key', { record: { tenant_id: 'acme', key: '', versions: [good] }, purpose: 'PURPOSE_CLIENT' }],
      ['no record', { purpose: 'PURPOSE_CLIENT' }],
      ['no versions', { record: { tenant_id: 'acme', key: 'k', versions: [] }, purpose: 'PURPOSE_REPAIR' }],
      ['CLIENT with two versions', { record: { tenant_id: 'acme', key: 'k', versions: [good, good] }, purpose: 'PURPOSE_CLIENT' }],
    ];
    for (const [what, req] of bad) {
      const err = await client.write(req, opts()).catch((e: unknown) => e);
      expect({ what, code: (err as { code?: string }).code }).toEqual({ what, code: 'INVALID_REQUEST' });
      const unaryErr = await client.writeUnary(req, opts()).catch((e: unknown) => e);
      expect({ what, code: (unaryErr as { code?: string }).code }).toEqual({ what, code: 'INVALID_REQUEST' });
    }
    const readErr = await client.read({ tenant_id: '', key: 'k' }, opts()).catch((e: unknown) => e);
    expect((readErr as { code?: string }).code).toBe('INVALID_REQUEST');
  });

  it('keeps acknowledged data across a restart on the same data dir', async () => {
    const first = await startDaemon();
    const v = ver({ ht: now(), value: '"durable"', writeId: 'w' });
    await first.client.write(writeReq(versionToWire(v)), opts());
    first.client.close();
    expect(await first.daemon.stop('restart')).toBe(true);
    const second = await startDaemon();
    const read = await second.client.read({ tenant_id: 'acme', key: 'user:1' }, opts());
    expect(read.record!.versions.map((x) => x.value.toString())).toEqual(['"durable"']);
    const again = await second.client.write(writeReq(versionToWire(v)), opts());
    expect(again.outcome).toBe('OUTCOME_DUPLICATE');
  });

  it('reports flushed tables in Stats and answers CHECKSUM_MISMATCH for a corrupted table block', async () => {
    const first = await startDaemon();
    for (let i = 0; i < 5; i++) await first.client.write(writeReq(versionToWire(ver({ ht: now() + i })), 'PURPOSE_CLIENT', `k${i}`), opts());
    await first.daemon.engine!.flush();
    const stats = await first.client.stats(opts());
    expect(stats.sstables_per_level).toEqual({ 0: 1 });
    expect(Number(stats.sstable_bytes)).toBeGreaterThan(64);
    const found = await first.client.read({ tenant_id: 'acme', key: 'k3' }, opts());
    expect(found.found).toBe(true);
    first.client.close();
    expect(await first.daemon.stop('restart')).toBe(true);
    const sstDir = join(harness.dir, 'sst');
    const file = join(sstDir, readdirSync(sstDir).find((n) => n.endsWith('.sst'))!);
    const buf = readFileSync(file);
    buf[10] = buf[10]! ^ 0xff; // inside the only data block
    writeFileSync(file, buf);
    const second = await startDaemon();
    const err = await second.client.read({ tenant_id: 'acme', key: 'k3' }, opts()).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('CHECKSUM_MISMATCH');
  });

  it('refuses a second daemon on the same data dir with DATA_DIR_LOCKED', async () => {
    await startDaemon();
    const second = new StorageDaemon(
      { nodeId: 's2', dataDir: harness.dir, host: '127.0.0.1', port: 0, adminPort: null, commitlogSync: 'batch' },
      silentLogger(),
    );
    await expect(second.start()).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });
    await second.stop('startup failed');
  });

  it('puts the writes of one pipe message into one group commit', async () => {
    const { daemon, client } = await startDaemon();
    const before = daemon.engine!.stats().commitlogBatches;
    const base = now();
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => client.write(writeReq(versionToWire(ver({ ht: base + i })), 'PURPOSE_CLIENT', `k${i}`), opts())),
    );
    expect(daemon.engine!.stats().commitlogBatches - before).toBe(1);
    expect(daemon.engine!.stats().keyCount).toBe(100);
  });

  it('serves Health, Stats and /readyz', async () => {
    const { daemon, client } = await startDaemon();
    await client.write(writeReq(versionToWire(ver({ ht: now() }))), opts());
    const health = await client.health(opts());
    expect(health.node_id).toBe('s1');
    expect(health.state).toBe('STATE_SERVING');
    expect(Number(health.generation)).toBeGreaterThan(0);
    const stats = await client.stats(opts());
    expect(stats.key_count).toBe('1');
    expect(Number(stats.commitlog_bytes)).toBeGreaterThan(24);
    expect(stats.commitlog_segments).toBe(1);
    const ready = await fetch(`http://127.0.0.1:${daemon.adminPort}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${daemon.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/pairdb_engine_writes_total\{node_id="s1",result="applied"\} 1/);
  });

  it('on an fsync failure rejects the write, reports onFatal and stops serving', async () => {
    const fs = new FaultFileSystem();
    const fatal: Error[] = [];
    const { client } = await startDaemon({ adminPort: null, fs }, (err) => fatal.push(err));
    fs.failAt('fdatasync', 1, 'EIO');
    const err = await client.write(writeReq(versionToWire(ver({ ht: now() }))), opts()).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('SERVICE_UNAVAILABLE');
    expect(fatal).toHaveLength(1);
    expect((await client.health(opts())).state).toBe('STATE_NOT_SERVING');
    const after = await client.write(writeReq(versionToWire(ver({ ht: now() })), 'PURPOSE_CLIENT', 'k2'), opts()).catch((e: unknown) => e);
    expect((after as { code?: string }).code).toBe('NOT_READY');
  });

  it('in echo mode answers writes APPLIED with the version clock and reads not found, storing nothing', async () => {
    const { client } = await startDaemon({ engine: 'echo' });
    const v = ver({ ht: now() });
    const res = await client.write(writeReq(versionToWire(v)), opts());
    expect(res.outcome).toBe('OUTCOME_APPLIED');
    expect(Number(res.current_clock!.entries[0]!.counter)).toBe(v.clock[0]!.counter);
    expect((await client.read({ tenant_id: 'acme', key: 'user:1' }, opts())).found).toBe(false);
  });

  it('drains in-flight pipe writes on stop, then refuses with an error', async () => {
    const { daemon, client } = await startDaemon();
    const base = now();
    const writes = Array.from({ length: 20 }, (_, i) =>
      client.write(writeReq(versionToWire(ver({ ht: base + i })), 'PURPOSE_CLIENT', `d${i}`), opts()),
    );
    await new Promise((r) => setImmediate(r));
    const stopped = daemon.stop('test');
    const results = await Promise.allSettled(writes);
    expect(await stopped).toBe(true);
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    // Whatever was acknowledged is on disk after a restart.
    const again = await startDaemon();
    let found = 0;
    for (let i = 0; i < 20; i++) if ((await again.client.read({ tenant_id: 'acme', key: `d${i}` }, opts())).found) found++;
    expect(found).toBeGreaterThanOrEqual(ok);
  });
});
