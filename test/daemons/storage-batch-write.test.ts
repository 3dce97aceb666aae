import { describe, expect, it } from 'vitest';
import { versionFromWire, versionToWire } from '../../src/core/model/version-wire.js';
import type * as pb from '../../src/core/rpc/types.js';
import { encs, ver } from '../core/engine/helpers.js';
import { storageDaemonHarness } from './storage-harness.js';

/** BatchWrite (rpc.md §6): one ack per batch in order once durable, outcome counts, never CLIENT, errors end it. */

const harness = storageDaemonHarness('pairdb-storage-batch-');
const opts = () => ({ requestId: 'test', deadlineMs: Date.now() + 30_000 });
const base = Date.now() * 1000;

function record(key: string, i: number, writer = 'c1'): pb.KeyRecord {
  return { tenant_id: 'acme', key, versions: [versionToWire(ver({ writer, ht: base + i, value: `"${key}-${i}"` }))], recent_writes: [] };
}

describe('StorageService BatchWrite', () => {
  it('acks each batch in order with applied / dominated counts, and the records read back', async () => {
    const { client } = await harness.start();
    const first = Array.from({ length: 50 }, (_, i) => record(`k${i}`, i));
    const acks = await client.batchWrite(
      [
        { batch_seq: '1', purpose: 'PURPOSE_HINT', records: first, stream_id: '' },
        // The same versions again: nothing changes (dominated), plus one newer version of k0.
        { batch_seq: '2', purpose: 'PURPOSE_HINT', records: [...first.slice(0, 10), record('k0', 100)], stream_id: '' },
      ],
      opts(),
    );
    expect(acks.map((a) => [String(a.batch_seq), a.applied, a.dominated, a.duplicate])).toEqual([
      ['1', 50, 0, 0],
      ['2', 1, 10, 0],
    ]);
    const r = await client.readUnary({ tenant_id: 'acme', key: 'k0', topology_epoch: '0' }, opts());
    expect(encs(r.record!.versions.map(versionFromWire))).toEqual(encs([ver({ writer: 'c1', ht: base + 100, value: '"k0-100"' })]));
    const r7 = await client.readUnary({ tenant_id: 'acme', key: 'k7', topology_epoch: '0' }, opts());
    expect(r7.found).toBe(true);
  });

  it('refuses CLIENT batches with INVALID_REQUEST and ends the stream there (later batches are not applied)', async () => {
    const { client } = await harness.start();
    await expect(
      client.batchWrite(
        [
          { batch_seq: '1', purpose: 'PURPOSE_CLIENT', records: [record('x', 1)], stream_id: '' },
          { batch_seq: '2', purpose: 'PURPOSE_STREAM', records: [record('y', 2)], stream_id: '' },
        ],
        opts(),
      ),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    const y = await client.readUnary({ tenant_id: 'acme', key: 'y', topology_epoch: '0' }, opts());
    expect(y.found).toBe(false);
  });
});
