import { describe, expect, it } from 'vitest';
import { storageConfigFromFlags } from '../../src/commands/storage.js';
import { versionToWire } from '../../src/core/model/version-wire.js';
import type { StorageClient } from '../../src/core/rpc/clients.js';
import { ver } from '../core/engine/helpers.js';
import { storageDaemonHarness, defaultStorageFlags } from './storage-harness.js';

/** The row cache seen from the storage daemon: Stats row_cache_hit_rate and the --row-cache-size flag. */

const harness = storageDaemonHarness('pairdb-storage-rowcache-');
const startDaemon = harness.start;

const opts = () => ({ requestId: 'test', deadlineMs: Date.now() + 5000 });

async function writeThenReadTwice(client: StorageClient): Promise<void> {
  const v = ver({ ht: Date.now() * 1000, writeId: 'w-1' });
  await client.write({ record: { tenant_id: 'acme', key: 'k', versions: [versionToWire(v)] }, purpose: 'PURPOSE_CLIENT', topology_epoch: 1 }, opts());
  for (let i = 0; i < 2; i++) expect((await client.read({ tenant_id: 'acme', key: 'k' }, opts())).found).toBe(true);
}

describe('storage row cache', () => {
  it('Stats reports row_cache_hit_rate from the engine', async () => {
    const { daemon, client } = await startDaemon();
    await writeThenReadTwice(client);
    const stats = await client.stats(opts());
    expect(stats.row_cache_hit_rate).toBeGreaterThan(0);
    expect(stats.row_cache_hit_rate).toBe(daemon.engine!.stats().rowCacheHitRate);
  });

  it('rowCacheBytes 0 (--row-cache-size 0) disables it', async () => {
    const { client } = await startDaemon({ rowCacheBytes: 0 });
    await writeThenReadTwice(client);
    expect((await client.stats(opts())).row_cache_hit_rate).toBe(0);
  });

  it('--row-cache-size parses sizes, 0 included, and rejects garbage with USAGE', () => {
    const base = defaultStorageFlags(harness.dir);
    expect(storageConfigFromFlags({ ...base, rowCacheSize: '0' }).rowCacheBytes).toBe(0);
    expect(storageConfigFromFlags({ ...base, rowCacheSize: '16MiB' }).rowCacheBytes).toBe(16 * 1024 * 1024);
    expect(storageConfigFromFlags(base).rowCacheBytes).toBeUndefined();
    expect(() => storageConfigFromFlags({ ...base, rowCacheSize: 'lots' })).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});
