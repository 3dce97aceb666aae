import { describe, expect, it } from 'vitest';
import { versionToWire } from '../../src/core/model/version-wire.js';
import type { StorageClient } from '../../src/core/rpc/clients.js';
import { ver } from '../core/engine/helpers.js';
import { storageDaemonHarness } from './storage-harness.js';

/** The StorageService Flush RPC (rpc.md §6) served by the storage daemon. */

const harness = storageDaemonHarness('pairdb-storage-flush-');
const startDaemon = harness.start;

const opts = () => ({ requestId: 'test', deadlineMs: Date.now() + 60_000 });

async function put(client: StorageClient, key: string, writeId: string): Promise<void> {
  const v = ver({ ht: Date.now() * 1000, writeId });
  await client.write({ record: { tenant_id: 'acme', key, versions: [versionToWire(v)] }, purpose: 'PURPOSE_CLIENT', topology_epoch: 1 }, opts());
}

describe('storage Flush RPC', () => {
  it('moves the memtable into an L0 table; Stats shows it and the data stays readable', async () => {
    const { daemon, client } = await startDaemon();
    for (let i = 0; i < 5; i++) await put(client, `k${i}`, `w-${i}`);
    const before = await client.stats(opts());
    expect(before.sstables_per_level).toEqual({});
    expect(Number(before.memtable_bytes)).toBeGreaterThan(0);

    const res = await client.flush({ wait: true }, opts());
    expect(res.sstables_written).toBe(1);
    expect(res.entries_flushed).toBe('5');
    expect(Number(res.bytes_written)).toBeGreaterThan(0);
    expect(res.files).toHaveLength(1);
    // The file named is the table the engine now holds at L0.
    expect(daemon.engine!.manifestState.tables.get(0)!.map((t) => String(t.file))).toEqual(res.files);

    const after = await client.stats(opts());
    expect(after.sstables_per_level).toEqual({ 0: 1 });
    expect(after.sstable_bytes).toBe(res.bytes_written);
    expect(after.memtable_bytes).toBe('0');
    for (let i = 0; i < 5; i++) expect((await client.read({ tenant_id: 'acme', key: `k${i}` }, opts())).found).toBe(true);
  });

  it('with an empty memtable answers zeros and writes no table', async () => {
    const { client } = await startDaemon();
    const res = await client.flush({ wait: true }, opts());
    expect(res).toMatchObject({ sstables_written: 0, entries_flushed: '0', bytes_written: '0', files: [] });
    expect((await client.stats(opts())).sstables_per_level).toEqual({});
  });

  it('a second flush after the first only reports the new table', async () => {
    const { client } = await startDaemon();
    await put(client, 'a', 'w-a');
    const first = await client.flush({ wait: true }, opts());
    await put(client, 'b', 'w-b');
    await put(client, 'c', 'w-c');
    const second = await client.flush({ wait: false }, opts());
    expect(second.sstables_written).toBe(1);
    expect(second.entries_flushed).toBe('2');
    expect(second.files).not.toEqual(first.files);
    expect((await client.stats(opts())).sstables_per_level).toEqual({ 0: 2 });
  });
});
