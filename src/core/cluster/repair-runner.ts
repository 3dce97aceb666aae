import { randomUUID } from 'node:crypto';
import { DEFAULT_DIGEST_DEPTH, MAX_DIGEST_DEPTH } from '../engine/range-digest.js';
import { encodeCkey } from '../engine/memtable.js';
import { PairdbError } from '../errors.js';
import type { Version } from '../model/version.js';
import { versionFromWire, versionToWire } from '../model/version-wire.js';
import type { CallOptions } from '../rpc/pipe.js';
import type * as pb from '../rpc/types.js';
import type { NodeHandle, NodeRegistry } from './node-registry.js';
import { type RepairItem, clipItems, leafRanges, mismatchedLeaves, repairItems, repairWrites } from './repair-plan.js';

/**
 * One anti-entropy run (cluster.md §14 steps 1–5) over the current ring: per tenant, per item (ring stretch ×
 * replica list), RangeDigest on every replica; differing leaves are scanned on every replica (ScanRange), reconciled
 * per key, and BatchWrite(REPAIR) brings each replica that differs the reconciled set. Items with a down replica
 * are skipped. Progress is reported once the items are planned and after every item.
 */

export interface RepairRunOptions {
  readonly registry: NodeRegistry;
  /** The tenants to repair with their replication factors. */
  readonly tenants: ReadonlyArray<{ readonly tenantId: string; readonly rf: number }>;
  /** Only items this node is a replica of. */
  readonly node?: string;
  /** Only this part of the ring ([start, end), start = end: all of it). */
  readonly range?: { readonly start: bigint; readonly end: bigint };
  /** The current topology epoch: a change mid-run ends the run `aborted` (cluster.md §14). */
  readonly epoch?: () => number;
  /** The id the run is recorded under (a new UUID if absent). */
  readonly runId?: string;
  readonly depth?: number;
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: pb.RepairProgress) => void | Promise<void>;
  /** Once per item: how it ended and how many keys were sent to replicas for it (metrics). */
  readonly onItem?: (result: RepairItemResult, keysStreamed: number) => void;
}

/** `in_sync`: digests equal; `repaired`: differing keys sent; `mismatched`: differences found by a dry run. */
export type RepairItemResult = 'in_sync' | 'repaired' | 'mismatched' | 'skipped';

const RPC_MS = 60_000;

export async function runRepair(o: RepairRunOptions): Promise<pb.RepairProgress> {
  const depth = o.depth || DEFAULT_DIGEST_DEPTH;
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_DIGEST_DEPTH) throw new PairdbError('INVALID_REQUEST', `depth must be 1..${MAX_DIGEST_DEPTH}`);
  const ring = o.registry.ring;
  const work: Array<{ tenantId: string; item: RepairItem }> = [];
  for (const t of o.tenants) {
    const items = repairItems(ring, t.rf, o.node);
    for (const item of o.range ? clipItems(items, o.range) : items) work.push({ tenantId: t.tenantId, item });
  }
  const startEpoch = o.epoch?.();
  const p = {
    run_id: o.runId ?? randomUUID(),
    state: 'REPAIR_RUNNING' as pb.RepairProgress['state'],
    ranges_total: work.length,
    ranges_done: 0,
    ranges_skipped: 0,
    leaves_mismatched: 0,
    keys_repaired: 0,
    bytes_streamed: 0,
    message: '',
    skipped_ranges: [] as pb.HashRange[],
  };
  const opts = () => ({ requestId: p.run_id, deadlineMs: Date.now() + RPC_MS });
  // The plan first: ranges_total lets a client show a bar (and an ETA) before the first item is done.
  await o.onProgress?.({ ...p });
  for (const { tenantId, item } of work) {
    if (o.signal?.aborted) {
      p.state = 'REPAIR_ABORTED';
      p.message = 'cancelled';
      return { ...p };
    }
    if (o.epoch && o.epoch() !== startEpoch) {
      // The ring the items were planned on is gone; comparing replicas of the old ring could stream to the wrong nodes.
      p.state = 'REPAIR_ABORTED';
      p.message = `the topology changed during the run (epoch ${startEpoch} → ${o.epoch()})`;
      return { ...p };
    }
    const handles = item.replicas.map((id) => o.registry.handle(id));
    if (handles.some((h) => !h || h.down || !h.client.rangeDigest || !h.client.scanRange || !h.client.batchWrite)) {
      p.ranges_skipped++;
      p.skipped_ranges.push({ start: item.start.toString(), end: item.end.toString() });
      o.onItem?.('skipped', 0);
      await o.onProgress?.({ ...p });
      continue;
    }
    const range = { start: item.start.toString(), end: item.end.toString() };
    const digests = await Promise.all(
      handles.map(async (h) => {
        for await (const r of h!.client.rangeDigest!({ specs: [{ range, tenant_ids: [tenantId] }], depth }, opts())) {
          return { root: Buffer.from(r.root), leaves: r.leaves.map((l) => Buffer.from(l.hash)) };
        }
        throw new PairdbError('INTERNAL_ERROR', `${h!.record.nodeId} answered RangeDigest with no result`);
      }),
    );
    const leaves = mismatchedLeaves(digests);
    p.leaves_mismatched += leaves.length;
    let streamed = 0;
    if (leaves.length > 0 && !o.dryRun) {
      const ranges = leafRanges(item, depth, leaves).map((r) => ({ start: r.start.toString(), end: r.end.toString() }));
      const r = await reconcileRanges({ registry: o.registry, readers: handles as NodeHandle[], ranges, tenantIds: [tenantId], opts });
      p.bytes_streamed += r.bytesScanned;
      p.keys_repaired += r.keysWritten;
      streamed += r.keysWritten;
    }
    o.onItem?.(leaves.length === 0 ? 'in_sync' : o.dryRun ? 'mismatched' : 'repaired', streamed);
    p.ranges_done++;
    await o.onProgress?.({ ...p });
  }
  p.state = 'REPAIR_COMPLETED';
  return { ...p };
}

export interface ReconcileOptions {
  readonly registry: NodeRegistry;
  /** The replicas whose copies are read (ScanRange) and reconciled. */
  readonly readers: readonly NodeHandle[];
  readonly ranges: readonly pb.HashRange[];
  /** Empty = all tenants. */
  readonly tenantIds: readonly string[];
  /** Only these nodes are written to (each counts as holding nothing if it is not a reader); default: every reader. */
  readonly targets?: readonly string[];
  readonly streamId?: string;
  readonly opts: () => CallOptions;
}

/**
 * §14 step 4, shared by repair runs and a migration's repair tasks: ScanRange the ranges on every reader, reconcile
 * per key (tombstones kept), and BatchWrite(REPAIR) the reconciled set to each target that differs, ≤ 1000 per batch.
 */
export async function reconcileRanges(o: ReconcileOptions): Promise<{ keysSeen: number; keysWritten: number; bytesScanned: number }> {
  const perReplica = new Map<string, Map<string, readonly Version[]>>();
  const keyOf = new Map<string, { tenant: string; key: string }>();
  let bytesScanned = 0;
  for (const h of o.readers) {
    const m = new Map<string, readonly Version[]>();
    const spec = { ranges: [...o.ranges], tenant_ids: [...o.tenantIds] };
    for await (const batch of h.client.scanRange!({ spec, batch_size: 1000, keys_only: false, include_expired_tombstones: false }, o.opts())) {
      for (const rec of batch.records) {
        const ck = encodeCkey(rec.tenant_id, rec.key).toString('hex');
        keyOf.set(ck, { tenant: rec.tenant_id, key: rec.key });
        m.set(ck, rec.versions.map(versionFromWire));
        bytesScanned += rec.versions.reduce((n, v) => n + (v.value?.length ?? 0), 0);
      }
    }
    perReplica.set(h.record.nodeId, m);
  }
  for (const t of o.targets ?? []) if (!perReplica.has(t)) perReplica.set(t, new Map());
  let keysWritten = 0;
  for (const [node, writes] of repairWrites(perReplica)) {
    if (writes.length === 0 || (o.targets && !o.targets.includes(node))) continue;
    const h = o.registry.handle(node);
    if (!h || h.down || !h.client.batchWrite) throw new PairdbError('SERVICE_UNAVAILABLE', `replica ${node} is down`);
    for (let i = 0; i < writes.length; i += 1000) {
      const records = writes.slice(i, i + 1000).map((w) => {
        const k = keyOf.get(w.ckeyHex)!;
        return { tenant_id: k.tenant, key: k.key, versions: w.versions.map(versionToWire), recent_writes: [] };
      });
      await h.client.batchWrite([{ batch_seq: String(i / 1000 + 1), purpose: 'PURPOSE_REPAIR', stream_id: o.streamId ?? '', records }], o.opts());
    }
    keysWritten += writes.length;
  }
  return { keysSeen: keyOf.size, keysWritten, bytesScanned };
}
