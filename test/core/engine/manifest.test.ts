import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PairdbError } from '../../../src/core/errors.js';
import { RECORD_HEADER_SIZE } from '../../../src/core/engine/commit-log-format.js';
import { FaultFileSystem } from '../../../src/core/engine/fault-file-system.js';
import { NodeFileSystem } from '../../../src/core/engine/file-system.js';
import { Manifest, ManifestCorruptionError } from '../../../src/core/engine/manifest.js';
import {
  type ManifestEdit,
  type ManifestState,
  type TableMeta,
  EMPTY_STATE,
  applyEdit,
  manifestFileName,
  snapshotToJson,
} from '../../../src/core/engine/manifest-format.js';
import { tempDir } from './helpers.js';

function table(file: number, level: number, minKey = '00', maxKey = 'ff', extra: Partial<TableMeta> = {}): TableMeta {
  return { file, level, size: 1000 + file, minKey, maxKey, keys: file * 3, tombstones: file % 2, oldestTombstoneTs: file % 2 ? 1_700_000_000_000 + file : null, ...extra };
}

/** Comparable form of a state (the SNAPSHOT JSON minus next_file, which rollover and allocation move). */
function view(s: ManifestState): unknown {
  const j = snapshotToJson(s) as Record<string, unknown>;
  return { tables: j.tables, log_start: j.log_start, fence_epoch: j.fence_epoch };
}

function manifestFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('MANIFEST-'));
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof PairdbError ? err.code : `not a PairdbError: ${String(err)}`;
  }
  return 'resolved';
}

/** A mixed history: flushes into L0, a compaction to L1, a trivial move, log_start and fence changes. */
async function history(m: Manifest): Promise<ManifestEdit[]> {
  const edits: ManifestEdit[] = [];
  const commit = async (e: ManifestEdit): Promise<void> => {
    edits.push(e);
    await m.commit(e);
  };
  const l0: number[] = [];
  for (let i = 0; i < 6; i++) {
    const f = m.nextFileNumber();
    const seg = m.nextFileNumber();
    l0.push(f);
    await commit({ reason: 'flush', add: [table(f, 0, `0${i}`, `f${i}`)], logStart: seg });
  }
  const a = m.nextFileNumber();
  const b = m.nextFileNumber();
  await commit({
    reason: 'compaction',
    remove: l0.slice(0, 4).map((file) => ({ file, level: 0 })),
    add: [table(a, 1, '00', '7f'), table(b, 1, '80', 'ff')],
  });
  await commit({ reason: 'move', remove: [{ file: a, level: 1 }], add: [table(a, 2, '00', '7f')] });
  await commit({ reason: 'fence', fenceEpoch: 7 });
  await commit({ reason: 'quarantine', remove: [{ file: l0[4]!, level: 0 }] });
  return edits;
}

describe('Manifest', () => {
  let dir: string;
  let cleanup: () => void;
  const fs = new NodeFileSystem();

  beforeEach(() => {
    ({ dir, cleanup } = tempDir('pairdb-manifest-'));
  });
  afterEach(() => cleanup());

  it('creates a new database in an empty directory: MANIFEST with one SNAPSHOT, CURRENT naming it', async () => {
    const { manifest, recovery } = await Manifest.open(dir, fs);
    expect(recovery.created).toBe(true);
    expect(manifest.fileNumber).toBe(1);
    expect(readFileSync(join(dir, 'CURRENT'), 'latin1')).toBe(`${manifestFileName(1)}\n`);
    const bytes = readFileSync(join(dir, manifestFileName(1)));
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('pairDBmf');
    expect(bytes.readUInt32LE(8)).toBe(1);
    expect(bytes[24 + 8]).toBe(0x01);
    expect(bytes.subarray(24 + RECORD_HEADER_SIZE).toString('utf8')).toBe('{"next_file":2,"log_start":0,"tables":[],"fence_epoch":0}');
    expect(manifest.state.tables.size).toBe(0);
    expect(manifest.nextFileNumber()).toBe(2);
    await manifest.close();
    expect(existsSync(join(dir, 'CURRENT.tmp'))).toBe(false);
  });

  it('replays a snapshot and many edits into the same state after reopening', async () => {
    const { manifest } = await Manifest.open(dir, fs);
    const edits = await history(manifest);
    // The model ignores next_file (the manifest fills it in from its allocator).
    let model: ManifestState = { ...EMPTY_STATE, nextFile: 1_000_000 };
    for (const e of edits) model = applyEdit(model, e, (m) => new Error(m));
    const before = manifest.state;
    expect(view(before)).toEqual(view(model));
    expect(before.tables.get(0)!.map((t) => t.file)).toEqual([...before.tables.get(0)!.map((t) => t.file)].sort((x, y) => y - x));
    expect(before.fenceEpoch).toBe(7);
    await manifest.close();

    const again = await Manifest.open(dir, fs);
    expect(again.recovery.created).toBe(false);
    expect(again.recovery.records).toBe(1 + edits.length);
    expect(again.recovery.truncatedBytes).toBe(0);
    expect(view(again.manifest.state)).toEqual(view(before));
    expect(again.manifest.state.nextFile).toBe(before.nextFile);
    // Numbers handed out after a reopen never collide with persisted ones.
    expect(again.manifest.nextFileNumber()).toBeGreaterThanOrEqual(before.nextFile);
    await again.manifest.close();
  });

  it('keeps the state through a rollover and leaves exactly one manifest and CURRENT', async () => {
    const { manifest } = await Manifest.open(dir, fs);
    await history(manifest);
    const before = manifest.state;
    const old = manifest.fileName;
    await manifest.rollover();
    expect(manifest.fileName).not.toBe(old);
    expect(manifestFiles(dir)).toEqual([manifest.fileName]);
    expect(readFileSync(join(dir, 'CURRENT'), 'latin1')).toBe(`${manifest.fileName}\n`);
    await manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0, 'aa', 'bb')] });
    const after = manifest.state;
    await manifest.close();
    const again = await Manifest.open(dir, fs);
    expect(again.recovery.records).toBe(2);
    expect(view(again.manifest.state)).toEqual(view(after));
    expect(view(after)).not.toEqual(view(before));
    await again.manifest.close();
  });

  it('rolls over by itself past 4 MiB, keeping every committed table', async () => {
    const { manifest } = await Manifest.open(dir, fs);
    const bigKey = 'ab'.repeat(100_000); // ~400 KB of JSON per edit (min and max key)
    const first = manifest.fileName;
    const live: number[] = [];
    for (let i = 0; i < 12 && manifest.fileName === first; i++) {
      const f = manifest.nextFileNumber();
      // Keep the set small so the snapshot after the rollover is small: add one table, drop the previous one.
      const remove = live.length > 0 ? [{ file: live.pop()!, level: 0 }] : [];
      await manifest.commit({ reason: 'flush', remove, add: [table(f, 0, bigKey, `${bigKey}ff`)] });
      live.push(f);
    }
    expect(manifest.fileName).not.toBe(first);
    expect(manifest.size).toBeLessThan(4 * 1024 * 1024);
    expect(manifestFiles(dir)).toEqual([manifest.fileName]);
    const state = manifest.state;
    expect(state.tables.get(0)!.map((t) => t.file)).toEqual(live);
    await manifest.close();
    const again = await Manifest.open(dir, fs);
    expect(view(again.manifest.state)).toEqual(view(state));
    await again.manifest.close();
  });

  it('truncates a torn tail edit at every cut point and keeps all earlier edits', async () => {
    const { manifest } = await Manifest.open(dir, fs);
    await history(manifest);
    const committed = manifest.state;
    const path = join(dir, manifest.fileName);
    const goodSize = manifest.size;
    await manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0, '10', '20')] });
    const full = readFileSync(path);
    await manifest.close();
    for (let cut = goodSize + 1; cut < full.length; cut += 7) {
      writeFileSync(path, full.subarray(0, cut));
      const { manifest: m, recovery } = await Manifest.open(dir, fs);
      expect(recovery.truncatedBytes).toBe(cut - goodSize);
      expect(view(m.state)).toEqual(view(committed));
      expect(statSync(path).size).toBe(goodSize);
      await m.close();
    }
  });

  it('treats a zero-filled tail and a flipped byte in the last record as an uncommitted edit', async () => {
    const { manifest } = await Manifest.open(dir, fs);
    await history(manifest);
    const committed = manifest.state;
    const goodSize = manifest.size;
    const path = join(dir, manifest.fileName);
    await manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0, '10', '20')] });
    await manifest.close();
    const full = readFileSync(path);

    const flipped = Buffer.from(full);
    flipped[full.length - 3]! ^= 0x40;
    writeFileSync(path, flipped);
    let r = await Manifest.open(dir, fs);
    expect(view(r.manifest.state)).toEqual(view(committed));
    await r.manifest.close();

    writeFileSync(path, Buffer.concat([full.subarray(0, goodSize), Buffer.alloc(300)]));
    r = await Manifest.open(dir, fs);
    expect(r.recovery.truncatedBytes).toBe(300);
    expect(view(r.manifest.state)).toEqual(view(committed));
    await r.manifest.close();
  });

  it('refuses to open when a byte flips in a record followed by a valid one, naming the offset', async () => {
    const { manifest } = await Manifest.open(dir, fs);
    await history(manifest);
    const path = join(dir, manifest.fileName);
    await manifest.close();
    const full = readFileSync(path);
    for (const at of [24 + 2, 24 + RECORD_HEADER_SIZE + 5, Math.floor(full.length / 2)]) {
      const bad = Buffer.from(full);
      bad[at]! ^= 0x01;
      writeFileSync(path, bad);
      const err = await Manifest.open(dir, fs).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ManifestCorruptionError);
      expect((err as ManifestCorruptionError).code).toBe('CORRUPT_FILE');
      expect((err as ManifestCorruptionError).offset).toBeLessThanOrEqual(at);
      expect((err as ManifestCorruptionError).file).toBe(manifestFileName(1));
    }
    // The refused file is left as it was: nothing is truncated on a refusal.
    expect(statSync(path).size).toBe(full.length);
  });

  it('refuses a damaged header, a missing SNAPSHOT, a bad CURRENT and a CURRENT naming a missing manifest', async () => {
    const { manifest } = await Manifest.open(dir, fs);
    await manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0)] });
    await manifest.close();
    const path = join(dir, manifestFileName(1));
    const full = readFileSync(path);

    const badHeader = Buffer.from(full);
    badHeader[3]! ^= 1;
    writeFileSync(path, badHeader);
    expect(await codeOf(Manifest.open(dir, fs))).toBe('CORRUPT_FILE');

    writeFileSync(path, full.subarray(0, 24 + 4)); // the SNAPSHOT itself torn: it was fsynced before CURRENT, so corrupt
    expect(await codeOf(Manifest.open(dir, fs))).toBe('CORRUPT_FILE');

    writeFileSync(path, full);
    writeFileSync(join(dir, 'CURRENT'), 'MANIFEST-1\n');
    expect(await codeOf(Manifest.open(dir, fs))).toBe('CORRUPT_FILE');
    writeFileSync(join(dir, 'CURRENT'), `${manifestFileName(99)}\n`);
    expect(await codeOf(Manifest.open(dir, fs))).toBe('CORRUPT_FILE');
    writeFileSync(join(dir, 'CURRENT'), `${manifestFileName(1)}\n`);
    const ok = await Manifest.open(dir, fs);
    expect(ok.manifest.state.tables.get(0)).toHaveLength(1);
    await ok.manifest.close();
  });

  it('refuses a decodable record whose edit contradicts the state (corruption, not a torn tail)', async () => {
    const { manifest } = await Manifest.open(dir, fs);
    await manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0)] });
    await manifest.close();
    // Append a well-framed EDIT removing a table that does not exist.
    const { encodeManifestRecord, RECORD_EDIT } = await import('../../../src/core/engine/manifest-format.js');
    const rec = encodeManifestRecord(RECORD_EDIT, { reason: 'compaction', remove: [{ file: 42, level: 1 }], add: [] });
    const path = join(dir, manifestFileName(1));
    writeFileSync(path, Buffer.concat([readFileSync(path), rec]));
    expect(await codeOf(Manifest.open(dir, fs))).toBe('CORRUPT_FILE');
  });

  it('refuses a data directory without CURRENT that holds other files, but accepts LOCK, empty dirs and first-start leftovers', async () => {
    writeFileSync(join(dir, 'LOCK'), '123\n');
    mkdirSync(join(dir, 'commitlog'));
    mkdirSync(join(dir, 'sst'));
    // A first start that crashed after writing its manifest but before publishing CURRENT.
    writeFileSync(join(dir, manifestFileName(1)), 'partial');
    writeFileSync(join(dir, 'CURRENT.tmp'), 'MANIF');
    const { manifest, recovery } = await Manifest.open(dir, fs);
    expect(recovery.created).toBe(true);
    expect(manifest.fileNumber).toBe(2);
    const { orphans } = await manifest.listOrphans();
    expect(orphans).toEqual([manifestFileName(1)]);
    await manifest.close();

    const other = tempDir('pairdb-manifest-');
    try {
      mkdirSync(join(other.dir, 'commitlog'));
      writeFileSync(join(other.dir, 'commitlog', 'commitlog-00000000000000000001.log'), 'x');
      expect(await codeOf(Manifest.open(other.dir, fs))).toBe('CORRUPT_FILE');
      expect(existsSync(join(other.dir, 'CURRENT'))).toBe(false);
    } finally {
      other.cleanup();
    }
  });

  it('refuses an inconsistent edit with INTERNAL_ERROR before writing anything', async () => {
    const { manifest } = await Manifest.open(dir, fs);
    const f = manifest.nextFileNumber();
    await manifest.commit({ reason: 'flush', add: [table(f, 0)], logStart: 5 });
    const size = manifest.size;
    const state = manifest.state;
    const bad: ManifestEdit[] = [
      { reason: 'compaction', remove: [{ file: 999, level: 0 }] },
      { reason: 'compaction', remove: [{ file: f, level: 1 }] },
      { reason: 'flush', add: [table(f, 0)] },
      { reason: 'flush', logStart: 4 },
      { reason: 'flush', add: [table(10_000, 0)] }, // never allocated
      { reason: 'flush', add: [table(manifest.nextFileNumber(), 7)] },
      { reason: 'flush', add: [table(manifest.nextFileNumber(), 0, 'ff', '00')] },
      { reason: 'flush', fenceEpoch: 3 },
    ];
    for (const e of bad) expect(await codeOf(manifest.commit(e))).toBe('INTERNAL_ERROR');
    expect(manifest.size).toBe(size);
    expect(manifest.state).toBe(state);
    await manifest.commit({ reason: 'compaction', remove: [{ file: f, level: 0 }] });
    expect(manifest.state.tables.size).toBe(0);
    await manifest.close();
  });

  it('persists allocated file numbers with the next edit and raises next_file above numbers on disk', async () => {
    const { manifest } = await Manifest.open(dir, fs);
    const nums = [manifest.nextFileNumber(), manifest.nextFileNumber(), manifest.nextFileNumber()];
    expect(nums).toEqual([2, 3, 4]);
    await manifest.commit({ reason: 'flush', add: [table(nums[0]!, 0)] });
    expect(manifest.state.nextFile).toBe(5);
    manifest.raiseNextFile(50);
    expect(manifest.nextFileNumber()).toBe(50);
    manifest.raiseNextFile(10);
    expect(manifest.nextFileNumber()).toBe(51);
    await manifest.close();
    const again = await Manifest.open(dir, fs);
    expect(again.manifest.state.nextFile).toBe(5); // 50, 51 were never persisted: step 4 finds them on disk if used
    await again.manifest.close();
  });

  it('makes every commit durable (fdatasync) before resolving', async () => {
    const ffs = new FaultFileSystem();
    const { manifest } = await Manifest.open(dir, ffs);
    const path = join(dir, manifest.fileName);
    for (let i = 0; i < 5; i++) {
      const syncs = ffs.counts.fdatasync;
      await manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0)] });
      expect(ffs.counts.fdatasync).toBe(syncs + 1);
      expect(ffs.durable(path)!.equals(readFileSync(path))).toBe(true);
    }
    await manifest.close();
  });

  it('treats an fdatasync failure as fatal: onFatal once, SERVICE_UNAVAILABLE after, reopen still works', async () => {
    const ffs = new FaultFileSystem();
    const fatal: Error[] = [];
    const { manifest } = await Manifest.open(dir, ffs, { onFatal: (e) => fatal.push(e) });
    await manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0)] });
    const committed = manifest.state;
    ffs.failAt('fdatasync', 1, 'EIO');
    expect(await codeOf(manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0)] }))).toBe('SERVICE_UNAVAILABLE');
    expect(fatal).toHaveLength(1);
    expect((fatal[0] as NodeJS.ErrnoException).code).toBe('EIO');
    expect(manifest.state).toBe(committed);
    expect(await codeOf(manifest.commit({ reason: 'flush' }))).toBe('SERVICE_UNAVAILABLE');
    expect(await codeOf(manifest.rollover())).toBe('SERVICE_UNAVAILABLE');
    expect(fatal).toHaveLength(1);
    await manifest.close();
    // The unsynced edit may or may not have survived; either way the manifest opens with everything committed.
    const again = await Manifest.open(dir, fs);
    expect(again.manifest.state.tables.get(0)!.map((t) => t.file)).toEqual(expect.arrayContaining(committed.tables.get(0)!.map((t) => t.file)));
    await again.manifest.close();
  });

  it('cuts a partial append off on ENOSPC: DISK_FULL, nothing committed, later commits work', async () => {
    const ffs = new FaultFileSystem();
    const { manifest } = await Manifest.open(dir, ffs);
    await manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0)] });
    const size = manifest.size;
    const state = manifest.state;
    ffs.enospcAfter(10);
    expect(await codeOf(manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0)] }))).toBe('DISK_FULL');
    expect(manifest.state).toBe(state);
    expect(statSync(join(dir, manifest.fileName)).size).toBe(size);
    ffs.clearFaults();
    await manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0)] });
    const after = manifest.state;
    await manifest.close();
    const again = await Manifest.open(dir, fs);
    expect(again.recovery.truncatedBytes).toBe(0);
    expect(view(again.manifest.state)).toEqual(view(after));
    await again.manifest.close();
  });

  describe('a crash at each step of a rollover loses nothing committed', () => {
    const steps: { op: 'open' | 'write' | 'fsync' | 'rename' | 'fsyncDir' | 'unlink'; nth: number; fatal: boolean; published: boolean }[] = [
      { op: 'open', nth: 1, fatal: false, published: false }, // creating MANIFEST-n
      { op: 'write', nth: 1, fatal: false, published: false },
      { op: 'fsync', nth: 1, fatal: true, published: false }, // the new manifest
      { op: 'open', nth: 2, fatal: false, published: false }, // CURRENT.tmp
      { op: 'fsync', nth: 2, fatal: true, published: false }, // CURRENT.tmp
      { op: 'rename', nth: 1, fatal: false, published: false },
      { op: 'fsyncDir', nth: 1, fatal: true, published: true },
      { op: 'unlink', nth: 1, fatal: false, published: true }, // the old manifest
    ];
    for (const s of steps) {
      it(`${s.op} #${s.nth} fails`, async () => {
        const ffs = new FaultFileSystem();
        const fatal: Error[] = [];
        const { manifest } = await Manifest.open(dir, ffs, { onFatal: (e) => fatal.push(e) });
        await history(manifest);
        const committed = manifest.state;
        const old = manifest.fileName;
        ffs.failAt(s.op, s.nth, 'EIO');
        const outcome = await codeOf(manifest.rollover());
        expect(fatal.length).toBe(s.fatal ? 1 : 0);
        if (s.op === 'unlink') expect(outcome).toBe('resolved');
        else expect(outcome).not.toBe('resolved');
        if (!s.fatal) {
          // Still usable: the next edit commits into whichever manifest is live.
          await manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0, '01', '02')] });
        }
        const expected = manifest.state;
        await manifest.close();

        // "Crash": reopen from what is on disk with a fresh file system.
        const again = await Manifest.open(dir, fs);
        expect(view(again.manifest.state)).toEqual(view(s.fatal ? committed : expected));
        expect(again.manifest.fileName === old).toBe(!s.published);
        const { orphans } = await again.manifest.listOrphans();
        // Leftovers of the failed step are orphans; a second rollover leaves exactly one manifest.
        for (const o of orphans) expect(o === 'CURRENT.tmp' || o.startsWith('MANIFEST-')).toBe(true);
        for (const o of orphans) await fs.unlink(join(dir, o));
        await again.manifest.rollover();
        expect(manifestFiles(dir)).toEqual([again.manifest.fileName]);
        expect(view(again.manifest.state)).toEqual(view(s.fatal ? committed : expected));
        await again.manifest.close();
      });
    }
  });

  it('survives a power loss after commits and rollovers: only fsynced bytes remain', async () => {
    const ffs = new FaultFileSystem();
    const { manifest } = await Manifest.open(dir, ffs);
    await history(manifest);
    await manifest.rollover();
    await manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0, '0a', '0b')] });
    await manifest.rollover();
    await manifest.commit({ reason: 'flush', add: [table(manifest.nextFileNumber(), 0, '0c', '0d')] });
    const committed = manifest.state;
    await manifest.close();
    // Every file keeps what it held at its last completed sync; a file never synced may vanish. CURRENT was synced
    // under its temporary name before the rename.
    for (const name of readdirSync(dir)) {
      const kept = ffs.durable(join(dir, name === 'CURRENT' ? 'CURRENT.tmp' : name));
      if (kept === undefined) await fs.unlink(join(dir, name));
      else writeFileSync(join(dir, name), kept);
    }
    const again = await Manifest.open(dir, fs);
    expect(again.recovery.truncatedBytes).toBe(0);
    expect(view(again.manifest.state)).toEqual(view(committed));
    await again.manifest.close();
  });

  it('lists orphans: tmp files, tables outside the set, segments below log_start, other manifests', async () => {
    const { manifest } = await Manifest.open(dir, fs);
    const live = manifest.nextFileNumber(); // 2
    const dead = manifest.nextFileNumber(); // 3
    const seg4 = manifest.nextFileNumber();
    const seg5 = manifest.nextFileNumber();
    await manifest.commit({ reason: 'flush', add: [table(live, 0)], logStart: seg5 });
    const pad = (n: number): string => String(n).padStart(20, '0');
    mkdirSync(join(dir, 'sst'));
    mkdirSync(join(dir, 'commitlog'));
    mkdirSync(join(dir, 'quarantine'));
    mkdirSync(join(dir, 'snapshots', 's1'), { recursive: true });
    for (const f of [
      `sst/${pad(live)}.sst`,
      `sst/${pad(dead)}.sst`,
      `sst/${pad(9)}.sst.tmp`,
      `commitlog/commitlog-${pad(seg4)}.log`,
      `commitlog/commitlog-${pad(seg5)}.log`,
      `commitlog/commitlog-${pad(7)}.log`,
      `quarantine/${pad(1)}.sst`,
      `snapshots/s1/${pad(1)}.sst`,
      'CURRENT.tmp',
      manifestFileName(12),
      'notes.txt',
    ]) {
      writeFileSync(join(dir, f), 'x');
    }
    const report = await manifest.listOrphans();
    expect(report.orphans).toEqual(
      ['CURRENT.tmp', manifestFileName(12), `commitlog/commitlog-${pad(seg4)}.log`, `sst/${pad(dead)}.sst`, `sst/${pad(9)}.sst.tmp`].sort(),
    );
    expect(report.maxFileNumber).toBe(12);
    manifest.raiseNextFile(report.maxFileNumber + 1);
    expect(manifest.nextFileNumber()).toBe(13);
    await manifest.close();
  });

  it('serialises concurrent commits in call order', async () => {
    const { manifest } = await Manifest.open(dir, fs);
    const files = Array.from({ length: 20 }, () => manifest.nextFileNumber());
    await Promise.all(files.map((f) => manifest.commit({ reason: 'flush', add: [table(f, 0)] })));
    expect(manifest.state.tables.get(0)!.map((t) => t.file)).toEqual([...files].reverse());
    await manifest.close();
    const again = await Manifest.open(dir, fs);
    expect(again.recovery.records).toBe(21);
    await again.manifest.close();
  });

  it('refuses calls after close', async () => {
    const { manifest } = await Manifest.open(dir, fs);
    await manifest.close();
    expect(await codeOf(manifest.commit({ reason: 'flush' }))).toBe('SERVICE_UNAVAILABLE');
    expect(() => manifest.nextFileNumber()).toThrow(PairdbError);
    truncateSync(join(dir, manifestFileName(1)), 24); // unrelated: a manifest without SNAPSHOT refuses
    expect(await codeOf(Manifest.open(dir, fs))).toBe('CORRUPT_FILE');
  });
});
