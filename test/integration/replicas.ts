import { randomBytes } from 'node:crypto';
import type { StorageNodeHandle } from '../../src/bench/local-cluster.js';
import { type Clock, mergeAll, withCounter } from '../../src/core/model/vector-clock.js';
import type { Version } from '../../src/core/model/version.js';
import { versionFromWire, versionToWire } from '../../src/core/model/version-wire.js';
import { StorageClient } from '../../src/core/rpc/clients.js';
import { encs } from '../core/engine/helpers.js';

/**
 * Direct access to one storage node of a real cluster, past the coordinator: what a replica holds, and planting
 * a version on it alone (to make the other replicas stale the way a missed write would).
 */

const opts = () => ({ requestId: '', deadlineMs: Date.now() + 5000 });

async function withNode<T>(node: StorageNodeHandle, run: (c: StorageClient) => Promise<T>): Promise<T> {
  const c = new StorageClient(`127.0.0.1:${node.port}`);
  try {
    return await run(c);
  } finally {
    c.close();
  }
}

/** The versions `node` stores for a key (tombstones included). */
export function versionsOn(node: StorageNodeHandle, tenant: string, key: string): Promise<Version[]> {
  return withNode(node, async (c) => {
    const r = await c.readUnary({ tenant_id: tenant, key, topology_epoch: '0' }, opts());
    return (r.record?.versions ?? []).map(versionFromWire);
  });
}

/** The stored versions of `node` as sorted hex encodings, comparable across replicas. */
export async function encodedOn(node: StorageNodeHandle, tenant: string, key: string): Promise<string[]> {
  return encs(await versionsOn(node, tenant, key));
}

/**
 * A version that descends from `ancestors` (a writer `planted` with a current hybrid time, so it also wins under
 * LWW): a value, or a tombstone when `value` is undefined.
 */
export function descendant(ancestors: readonly Version[], value: unknown, lww: boolean): Version {
  const writerId = 'planted';
  const ht = Date.now() * 1000 + 999;
  const clock: Clock = withCounter(mergeAll(ancestors.map((v) => v.clock)), writerId, ht);
  const tombstone = value === undefined;
  return {
    clock,
    value: tombstone ? Buffer.alloc(0) : Buffer.from(JSON.stringify(value)),
    tombstone,
    lww,
    timestampMs: Math.floor(ht / 1000),
    writerId,
    writeId: randomBytes(16),
  };
}

/** Stores `version` on `node` only (a repair-purpose write: no fence, no caps). */
export function plant(node: StorageNodeHandle, tenant: string, key: string, version: Version): Promise<void> {
  return withNode(node, async (c) => {
    await c.writeUnary(
      { record: { tenant_id: tenant, key, versions: [versionToWire(version)], recent_writes: [] }, purpose: 'PURPOSE_REPAIR', topology_epoch: '0' },
      opts(),
    );
  });
}

/** The value of one labelled series in a Prometheus text exposition (0 when absent). */
export async function metricValue(metricsUrl: string, series: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return 0;
}

/** Polls `check` until it holds (generous timeout; the machine is shared). */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
