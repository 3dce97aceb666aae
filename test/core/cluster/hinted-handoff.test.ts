import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileHintStore } from '../../../src/core/cluster/file-hint-store.js';
import { HintedHandoff, isHintable } from '../../../src/core/cluster/hinted-handoff.js';
import type { NodeHandle, NodeRegistry } from '../../../src/core/cluster/node-registry.js';
import { PairdbError } from '../../../src/core/errors.js';
import { versionToWire } from '../../../src/core/model/version-wire.js';
import { silentLogger } from '../../../src/core/observability/logger.js';
import type * as pb from '../../../src/core/rpc/types.js';
import { ver } from '../engine/helpers.js';

/** HintedHandoff's rules without processes: which failures are hinted, the window, delivery and backoff. */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pairdb-handoff-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const record = (key: string): pb.KeyRecord => ({ tenant_id: 'acme', key, versions: [versionToWire(ver({ value: `"${key}"` }))], recent_writes: [] });

function registryWith(handle: Partial<NodeHandle> & { batchWrite?: (b: readonly pb.BatchWriteRequest[]) => Promise<pb.BatchWriteAck__Output[]> }): NodeRegistry {
  const h = { down: false, ...handle, client: { batchWrite: handle.batchWrite } } as unknown as NodeHandle;
  return { handle: () => h } as unknown as NodeRegistry;
}

describe('HintedHandoff', () => {
  it('hints UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED and INTERNAL failures only', () => {
    expect(['SERVICE_UNAVAILABLE', 'TIMEOUT', 'DISK_FULL', 'INTERNAL_ERROR', 'NOT_READY'].map((c) => isHintable(new PairdbError(c as never, 'x')))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['INVALID_REQUEST', 'SIBLING_LIMIT_EXCEEDED', 'CHECKSUM_MISMATCH'].map((c) => isHintable(new PairdbError(c as never, 'x')))).toEqual([false, false, false]);
  });

  it('stores no new hint for a node down longer than the window', async () => {
    const store = await FileHintStore.open({ dir });
    const now = 10_000_000;
    const old = new HintedHandoff({ store, registry: registryWith({ down: true, downSinceMs: now - 3_600_001 }), logger: silentLogger(), windowMs: 3_600_000, now: () => now });
    const skipped: string[] = [];
    old.onEvent = (kind, node) => skipped.push(`${kind}:${node}`);
    await old.hint('s9', record('a'));
    expect(skipped).toEqual(['skipped:s9']);
    expect(store.counts().get('s9') ?? 0).toBe(0);
    const recent = new HintedHandoff({ store, registry: registryWith({ down: true, downSinceMs: now - 1000 }), logger: silentLogger(), windowMs: 3_600_000, now: () => now });
    await recent.hint('s9', record('b'));
    expect(store.counts().get('s9')).toBe(1);
    await store.close();
  });

  it('delivers pending hints in batches of ≤ 100 with purpose HINT, and backs off after a failure', async () => {
    const store = await FileHintStore.open({ dir });
    await store.append(Array.from({ length: 250 }, (_, i) => ({ targetNodeId: 's1', tenantId: 'acme', key: `k${i}`, versions: [ver({ value: '"v"' })] })));
    const sent: number[] = [];
    let fail = true;
    let now = 0;
    const registry = registryWith({
      batchWrite: async (b) => {
        if (fail) throw new PairdbError('SERVICE_UNAVAILABLE', 'down');
        expect(b[0]!.purpose).toBe('PURPOSE_HINT');
        sent.push(b[0]!.records!.length);
        return [{ batch_seq: '1', applied: b[0]!.records!.length, dominated: 0, duplicate: 0 }];
      },
    });
    const handoff = new HintedHandoff({ store, registry, logger: silentLogger(), now: () => now });
    handoff.kick('s1');
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toEqual([]);
    fail = false;
    handoff.kick('s1'); // backing off (1 s): nothing
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toEqual([]);
    now += 1001;
    handoff.kick('s1');
    for (let i = 0; i < 100 && store.counts().get('s1') !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sent).toEqual([100, 100, 50]);
    expect(await store.pending('s1', 1000)).toEqual([]);
    await store.close();
  });
  it('drops the hints of a node that left the topology, counted as expired, and keeps those of ring members', async () => {
    const store = await FileHintStore.open({ dir });
    await store.append([
      { targetNodeId: 'gone', tenantId: 'acme', key: 'a', versions: [ver({ value: '"a"' })] },
      { targetNodeId: 'gone', tenantId: 'acme', key: 'b', versions: [ver({ value: '"b"' })] },
      { targetNodeId: 's1', tenantId: 'acme', key: 'c', versions: [ver({ value: '"c"' })] },
    ]);
    const registry = { handle: (id: string) => (id === 's1' ? ({ down: true, client: {} } as unknown as NodeHandle) : undefined) } as unknown as NodeRegistry;
    const handoff = new HintedHandoff({ store, registry, logger: silentLogger() });
    const events: string[] = [];
    handoff.onEvent = (kind, node, n) => events.push(`${kind}:${node}:${n}`);
    await handoff.discardGone();
    expect(events).toEqual(['expired:gone:2']);
    expect(store.counts().get('gone')).toBe(0);
    expect(store.counts().get('s1')).toBe(1);
    await store.close();
    // The discard is durable.
    const reopened = await FileHintStore.open({ dir });
    expect(reopened.counts().get('gone') ?? 0).toBe(0);
    expect(reopened.counts().get('s1')).toBe(1);
    await reopened.close();
  });
});
