import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaultFileSystem } from '../../../src/core/engine/fault-file-system.js';
import { NodeFileSystem } from '../../../src/core/engine/file-system.js';
import { allTables } from '../../../src/core/engine/manifest-format.js';
import { SnapshotStore, restoreSnapshot } from '../../../src/core/engine/snapshot.js';
import { sstFileName } from '../../../src/core/engine/sstable-format.js';
import { readManifestView } from '../../../src/core/engine/sstable-tools.js';
import { silentLogger } from '../../../src/core/observability/logger.js';
import { engineHarness } from './engine-harness.js';
import { encs, ver, waitUntil } from './helpers.js';

/**
 * engine.snapshot (rpc.md §6 Snapshot): the table set stays pinned while its links are made, so a compaction that
 * replaces it meanwhile cannot unlink a table before the snapshot holds it; the snapshot opens as a data dir.
 */

const harness = engineHarness('pairdb-snapshot-');
const STREAM = { purpose: 'STREAM' as const };

/** A FaultFileSystem whose `link` calls wait while a gate is closed. */
class GatedLinks extends FaultFileSystem {
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  linksWaiting = 0;

  closeGate(): void {
    this.#gate = new Promise((r) => (this.#open = r));
  }

  openGate(): void {
    this.#gate = undefined;
    this.#open?.();
  }

  override async link(existing: string, target: string): Promise<void> {
    if (this.#gate) {
      this.linksWaiting++;
      await this.#gate;
    }
    return super.link(existing, target);
  }
}

describe('StorageEngine.snapshot', () => {
  it('keeps the pinned tables on disk through a concurrent compaction until every link exists', async () => {
    const fs = new GatedLinks();
    const e = await harness.open({ fs, autoCompact: false });
    for (let i = 0; i < 20; i++) await e.writeBlind('acme', `a${i}`, ver({ ht: 1_700_000_000_000_000 + i, value: `"a${i}"` }), STREAM);
    await e.flush();
    for (let i = 0; i < 20; i++) await e.writeBlind('acme', `a${i}`, ver({ writer: 'c2', ht: 1_700_000_000_000_100 + i, value: `"b${i}"` }), STREAM);
    await e.flush();
    const before = allTables(e.manifestState).map((t) => t.file).sort((a, b) => a - b);
    const bytes = allTables(e.manifestState).reduce((n, t) => n + t.size, 0);
    expect(before).toHaveLength(2);
    const paths = before.map((f) => join(harness.dir, 'sst', sstFileName(f)));

    fs.closeGate();
    const dir = join(harness.dir, 'snapshots', 'x');
    const snap = e.snapshot(dir);
    await waitUntil(() => fs.linksWaiting > 0, 'the first link');
    // Compaction merges both tables into L1 and commits; the inputs are obsolete but pinned by the snapshot.
    const summary = await e.compact();
    expect(summary.tablesIn).toBe(2);
    expect(allTables(e.manifestState).map((t) => t.file)).not.toContain(before[0]);
    expect(paths.every((p) => existsSync(p))).toBe(true);

    fs.openGate();
    expect(await snap).toEqual({ sstables: 2, bytes });
    // Unpinned now: the data dir's names go, the snapshot's links stay.
    await waitUntil(() => paths.every((p) => !existsSync(p)), 'compacted inputs unlinked');
    const view = await readManifestView(new NodeFileSystem(), dir);
    expect(allTables(view!.state).map((t) => t.file).sort((a, b) => a - b)).toEqual(before);
    expect(readdirSync(join(dir, 'sst')).sort()).toEqual(before.map(sstFileName));
  });

  it('a snapshot restored over a data dir opens with exactly the snapshot data (seeded writes)', async () => {
    const e = await harness.open({ autoCompact: false });
    const store = new SnapshotStore(new NodeFileSystem(), harness.dir);
    const v = (i: number, w = 'c1') => ver({ writer: w, ht: 1_700_000_000_000_000 + i, value: `"${w}${i}"` });
    for (let i = 0; i < 30; i++) await e.writeBlind('acme', `k${i}`, v(i), STREAM);
    await e.flush();
    for (let i = 0; i < 30; i += 2) await e.writeBlind('acme', `k${i}`, v(i, 'c2'), STREAM); // in the memtable: flushed by the snapshot
    const info = await store.create('s', 123, (dir) => e.snapshot(dir));
    expect(info).toMatchObject({ name: 's', createdMs: 123, sstables: 2 });
    for (let i = 0; i < 30; i++) await e.writeBlind('acme', `after${i}`, v(i), STREAM);
    await e.compact();
    await harness.close(e);

    const r = await restoreSnapshot({ fs: new NodeFileSystem(), dataDir: harness.dir, name: 's', logger: silentLogger(), nowMs: 0 });
    expect(r).toMatchObject({ snapshot: 's', sstables: 2, bytes: info.bytes });
    const back = await harness.open({ autoCompact: false });
    for (let i = 0; i < 30; i++) {
      const want = i % 2 === 0 ? [v(i), v(i, 'c2')] : [v(i)];
      expect(encs(await back.get('acme', `k${i}`)), `k${i}`).toEqual(encs(want));
      expect(await back.get('acme', `after${i}`)).toEqual([]);
    }
    expect((await store.list()).map((s) => s.name)).toEqual(['s']);
  });
});
