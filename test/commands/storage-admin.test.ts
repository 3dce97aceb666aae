import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { defaultDeps, type CliDeps } from '../../src/commands/output/context.js';
import { EXIT } from '../../src/core/exit-codes.js';
import { versionToWire } from '../../src/core/model/version-wire.js';
import { silentLogger } from '../../src/core/observability/logger.js';
import { StorageClient } from '../../src/core/rpc/clients.js';
import { StorageDaemon } from '../../src/daemons/storage.js';
import { tempDir, ver } from '../core/engine/helpers.js';

/**
 * `pairdb storage flush|stats` through main() against a real StorageDaemon on port 0 (cli-and-ops.md §2.6), and the
 * daemon form `pairdb storage --node-id …` still parsing as before.
 */

let tmp: ReturnType<typeof tempDir>;
const daemons: StorageDaemon[] = [];

beforeEach(() => {
  tmp = tempDir('pairdb-storage-admin-');
});

afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop('test done');
  tmp.cleanup();
});

async function startDaemon(): Promise<{ daemon: StorageDaemon; target: string }> {
  const daemon = new StorageDaemon(
    { nodeId: 's1', dataDir: tmp.dir, host: '127.0.0.1', port: 0, adminPort: null, commitlogSync: 'batch', shutdownTimeoutMs: 5000 },
    silentLogger(),
  );
  daemons.push(daemon);
  await daemon.start();
  return { daemon, target: `127.0.0.1:${daemon.grpcPort}` };
}

async function writeKeys(target: string, keys: string[]): Promise<void> {
  const client = new StorageClient(target);
  try {
    for (const key of keys) {
      const v = ver({ ht: Date.now() * 1000, writeId: `w-${key}` });
      await client.write(
        { record: { tenant_id: 'acme', key, versions: [versionToWire(v)] }, purpose: 'PURPOSE_CLIENT', topology_epoch: 1 },
        { requestId: 't', deadlineMs: Date.now() + 5000 },
      );
    }
  } finally {
    client.close();
  }
}

async function readFound(target: string, key: string): Promise<boolean> {
  const client = new StorageClient(target);
  try {
    return (await client.read({ tenant_id: 'acme', key }, { requestId: 't', deadlineMs: Date.now() + 5000 })).found;
  } finally {
    client.close();
  }
}

/** A node holding acme/k0..k2 in its memtable. */
async function startNode(): Promise<{ daemon: StorageDaemon; target: string }> {
  const node = await startDaemon();
  await writeKeys(node.target, ['k0', 'k1', 'k2']);
  return node;
}

async function pairdb(args: string[]): Promise<{ code: number | undefined; out: string; err: string }> {
  let out = '';
  let err = '';
  const deps: CliDeps = {
    ...defaultDeps(),
    io: {
      stdout: { write: (s: string) => (out += s), isTTY: false },
      stderr: { write: (s: string) => (err += s) },
      stdin: Object.assign(Readable.from([]), { isTTY: false }),
      env: {},
    },
  };
  const code = await main(['node', 'pairdb', ...args], deps);
  return { code, out, err };
}

describe('pairdb storage flush|stats', () => {
  it('flush -o json writes one L0 table and names it; stats -o json then shows it at L0', async () => {
    const { daemon, target } = await startNode();
    const flush = await pairdb(['storage', 'flush', '--target', target, '-o', 'json']);
    expect(flush.err).toBe('');
    expect(flush.code).toBeUndefined();
    const f = JSON.parse(flush.out);
    expect(f).toMatchObject({ node_id: 's1', address: target, sstables_written: 1, entries_flushed: 3 });
    expect(f.bytes_written).toBeGreaterThan(0);
    const file = daemon.engine!.manifestState.tables.get(0)![0]!.file;
    expect(f.files).toEqual([`${String(file).padStart(20, '0')}.sst`]);

    const stats = await pairdb(['storage', 'stats', '--target', target, '-o', 'json']);
    expect(stats.code).toBeUndefined();
    const s = JSON.parse(stats.out);
    expect(s).toMatchObject({ node_id: 's1', memtable_bytes: 0, sstable_bytes: f.bytes_written, disk_state: 'ok' });
    expect(s.levels).toEqual([{ level: 0, files: 1, bytes: f.bytes_written }]);
    expect(typeof s.row_cache_hit_rate).toBe('number');
    expect(s.commitlog_segments).toBeGreaterThan(0);
  });

  it('table output: flush prints NODE | BYTES | SSTABLE, a second (empty) flush prints "-"; stats lists the level', async () => {
    const { target } = await startNode();
    // PAIRDB_TARGET stands in for --target (commander reads the process environment).
    const saved = process.env.PAIRDB_TARGET;
    process.env.PAIRDB_TARGET = target;
    let first;
    try {
      first = await pairdb(['storage', 'flush', '-o', 'table']);
    } finally {
      if (saved === undefined) delete process.env.PAIRDB_TARGET;
      else process.env.PAIRDB_TARGET = saved;
    }
    expect(first.code).toBeUndefined();
    const lines = first.out.trim().split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual(['NODE', 'BYTES', 'SSTABLE']);
    expect(lines[1]).toMatch(/^s1\s+\d+(\.\d)? (B|KiB)\s+\d{20}\.sst$/);

    const second = await pairdb(['storage', 'flush', '--target', target, '-o', 'table']);
    expect(second.out.trim().split('\n')[1]).toMatch(/^s1\s+0 B\s+-$/);

    const stats = await pairdb(['storage', 'stats', '--target', target, '-o', 'table']);
    expect(stats.code).toBeUndefined();
    expect(stats.out).toMatch(/^node\s+s1 \(/m);
    expect(stats.out).toMatch(/^ {2}L0\s+1 files, /m);
    expect(stats.out).toMatch(/^disk\s+ok /m);
    expect(stats.out).toMatch(/^memtable\s+0 B$/m);
  });

  it('an unreachable target fails CONNECTION_FAILED (exit 5), as JSON with -o json', async () => {
    const { daemon, target } = await startNode();
    await daemon.stop('gone');
    daemons.splice(0);
    const r = await pairdb(['storage', 'stats', '--target', target, '-o', 'json', '--timeout', '2s']);
    expect(r.code).toBe(EXIT.UNAVAILABLE);
    expect(JSON.parse(r.err).error_code).toBe('CONNECTION_FAILED');
  });

  it('--target with --all is a usage error', async () => {
    const r = await pairdb(['storage', 'stats', '--all', '--target', '127.0.0.1:1']);
    expect(r.code).toBe(EXIT.USAGE);
  });

  it('the daemon form still requires --node-id and --data-dir (USAGE) and rejects unknown positionals', async () => {
    expect((await pairdb(['storage', '--data-dir', tmp.dir])).code).toBe(EXIT.USAGE);
    expect((await pairdb(['storage', '--node-id', 's1'])).code).toBe(EXIT.USAGE);
    expect((await pairdb(['storage', 'bogus', '--node-id', 's1', '--data-dir', tmp.dir])).code).toBe(EXIT.USAGE);
  });
});

describe('pairdb storage compact|snapshot|restore', () => {
  it('compact -o json and table; --level N; --no-wait answers completed false; a bad --level is USAGE', async () => {
    const { daemon, target } = await startNode();
    await pairdb(['storage', 'flush', '--target', target]);
    await writeKeys(target, ['k3']);
    const full = await pairdb(['storage', 'compact', '--target', target, '-o', 'json']);
    expect(full.err).toBe('');
    expect(full.code).toBeUndefined();
    const f = JSON.parse(full.out);
    expect(f).toMatchObject({ node_id: 's1', address: target, level: null, completed: true, tables_in: 2, entries_dropped: 0 });
    expect(f.tables_out).toBeGreaterThanOrEqual(1);
    expect(typeof f.job_id).toBe('string');
    expect(typeof f.bytes_reclaimed).toBe('number');
    expect([...daemon.engine!.manifestState.tables.keys()]).toEqual([1]);

    // A key inside L1's range: L0 → L1 merges both tables (a key outside it would be a trivial move).
    await writeKeys(target, ['k2a']);
    await pairdb(['storage', 'flush', '--target', target]);
    const table = await pairdb(['storage', 'compact', '--target', target, '--level', '0', '-o', 'table']);
    expect(table.code).toBeUndefined();
    const lines = table.out.trim().split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['NODE', 'LEVEL', 'IN', 'OUT', 'BYTES RECLAIMED']);
    expect(lines[1]).toMatch(/^s1\s+L0\s+2\s+1\s+\d+(\.\d)? (B|KiB)$/);

    const bad = await pairdb(['storage', 'compact', '--target', target, '--level', 'two']);
    expect(bad.code).toBe(EXIT.USAGE);
    const noLevel = await pairdb(['storage', 'compact', '--target', target, '--level', '6', '-o', 'json']);
    expect(noLevel.code).toBe(EXIT.USAGE);
    expect(JSON.parse(noLevel.err).error_code).toBe('INVALID_REQUEST');

    const bg = await pairdb(['storage', 'compact', '--target', target, '--no-wait', '-o', 'json']);
    expect(bg.code).toBeUndefined();
    expect(JSON.parse(bg.out)).toMatchObject({ node_id: 's1', level: null, completed: false, tables_in: 0, tables_out: 0 });
  });

  it('snapshot create -o json, taken name exits 4, --list table, --clear of an unknown name exits 3, bad name exits 2', async () => {
    const { target } = await startNode();
    const created = await pairdb(['storage', 'snapshot', '--target', target, '--name', 'nightly', '-o', 'json']);
    expect(created.err).toBe('');
    expect(created.code).toBeUndefined();
    const c = JSON.parse(created.out);
    expect(c).toMatchObject({ node_id: 's1', address: target, action: 'create' });
    expect(c.snapshots).toHaveLength(1);
    expect(c.snapshots[0]).toMatchObject({ name: 'nightly', sstables: 1 });
    expect(c.snapshots[0].bytes).toBeGreaterThan(0);
    expect(new Date(c.snapshots[0].created_at).getTime()).toBe(c.snapshots[0].created_at_ms);
    expect(existsSync(join(tmp.dir, 'snapshots', 'nightly', 'CURRENT'))).toBe(true);

    const taken = await pairdb(['storage', 'snapshot', '--target', target, '--name', 'nightly', '-o', 'json']);
    expect(taken.code).toBe(EXIT.CONFLICT);
    expect(JSON.parse(taken.err).error_code).toBe('SNAPSHOT_EXISTS');

    const auto = await pairdb(['storage', 'snapshot', '--target', target, '-o', 'json']);
    expect(auto.code).toBeUndefined();
    const autoName = JSON.parse(auto.out).snapshots[0].name as string;
    expect(autoName).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/);

    const list = await pairdb(['storage', 'snapshot', '--target', target, '--list', '-o', 'table']);
    expect(list.code).toBeUndefined();
    const rows = list.out.trim().split('\n');
    expect(rows[0]!.split(/\s{2,}/)).toEqual(['NODE', 'SNAPSHOT', 'CREATED', 'SSTABLES', 'BYTES']);
    expect(rows.slice(1).map((r) => r.split(/\s+/)[1])).toEqual(['nightly', autoName]);

    const unknown = await pairdb(['storage', 'snapshot', '--target', target, '--clear', 'nope', '-o', 'json']);
    expect(unknown.code).toBe(EXIT.NOT_FOUND);
    expect(JSON.parse(unknown.err).error_code).toBe('SNAPSHOT_NOT_FOUND');
    expect((await pairdb(['storage', 'snapshot', '--target', target, '--name', '..'])).code).toBe(EXIT.USAGE);
    expect((await pairdb(['storage', 'snapshot', '--target', target, '--name', 'a', '--list'])).code).toBe(EXIT.USAGE);

    const cleared = await pairdb(['storage', 'snapshot', '--target', target, '--clear', 'nightly', '-o', 'json']);
    expect(cleared.code).toBeUndefined();
    expect(JSON.parse(cleared.out)).toMatchObject({ action: 'clear', snapshots: [{ name: 'nightly', sstables: 1 }] });
    expect(readdirSync(join(tmp.dir, 'snapshots'))).toEqual([autoName]);
  });

  it('restore: refused while the node runs (4) and for an unknown snapshot (3); then data after the snapshot is gone, before it is there', async () => {
    const first = await startNode(); // k0..k2
    expect((await pairdb(['storage', 'snapshot', '--target', first.target, '--name', 'base'])).code).toBeUndefined();
    await writeKeys(first.target, ['late-flushed']);
    await pairdb(['storage', 'flush', '--target', first.target]);
    await writeKeys(first.target, ['late-in-log']);

    const locked = await pairdb(['storage', 'restore', '--data-dir', tmp.dir, '--snapshot', 'base', '-o', 'json']);
    expect(locked.code).toBe(EXIT.CONFLICT);
    expect(JSON.parse(locked.err).error_code).toBe('DATA_DIR_LOCKED');

    await first.daemon.stop('restore');
    const unknown = await pairdb(['storage', 'restore', '--data-dir', tmp.dir, '--snapshot', 'nope', '-o', 'json']);
    expect(unknown.code).toBe(EXIT.NOT_FOUND);
    const missingFlag = await pairdb(['storage', 'restore', '--data-dir', tmp.dir]);
    expect(missingFlag.code).toBe(EXIT.USAGE);

    const restored = await pairdb(['storage', 'restore', '--data-dir', tmp.dir, '--snapshot', 'base', '-o', 'json']);
    expect(restored.err).toBe('');
    expect(restored.code).toBeUndefined();
    const r = JSON.parse(restored.out);
    expect(r).toMatchObject({ data_dir: tmp.dir, snapshot: 'base', sstables: 1 });
    expect(r.bytes).toBeGreaterThan(0);
    expect(r.backup_dir.startsWith(join(tmp.dir, 'restore-backup-'))).toBe(true);
    // The replaced tables, manifest and commit log are kept aside; the commit log is empty; LOCK released.
    expect(readdirSync(r.backup_dir).sort()).toEqual(expect.arrayContaining(['CURRENT', 'commitlog', 'sst']));
    expect(readdirSync(r.backup_dir).some((n: string) => n.startsWith('MANIFEST-'))).toBe(true);
    expect(existsSync(join(tmp.dir, 'commitlog'))).toBe(false);
    expect(existsSync(join(tmp.dir, 'LOCK'))).toBe(false);

    const second = await startDaemon();
    for (const k of ['k0', 'k1', 'k2']) expect(await readFound(second.target, k), k).toBe(true);
    for (const k of ['late-flushed', 'late-in-log']) expect(await readFound(second.target, k), k).toBe(false);
    // The snapshot stays usable.
    const list = JSON.parse((await pairdb(['storage', 'snapshot', '--target', second.target, '--list', '-o', 'json'])).out);
    expect(list.snapshots.map((x: { name: string }) => x.name)).toEqual(['base']);
  });

  it('restore of a snapshot with a corrupt table exits 7 and changes nothing', async () => {
    const node = await startNode();
    await pairdb(['storage', 'snapshot', '--target', node.target, '--name', 'bad']);
    await node.daemon.stop('restore');
    const sstDir = join(tmp.dir, 'snapshots', 'bad', 'sst');
    const table = join(sstDir, readdirSync(sstDir)[0]!);
    // The link shares the live table's inode: corrupt a copy instead, so only the snapshot is bad.
    const bytes = readFileSync(table);
    bytes[10]! ^= 0xff;
    const { unlinkSync } = await import('node:fs');
    unlinkSync(table);
    writeFileSync(table, bytes);
    const before = readdirSync(tmp.dir).sort();
    const current = readFileSync(join(tmp.dir, 'CURRENT'), 'utf8');
    const r = await pairdb(['storage', 'restore', '--data-dir', tmp.dir, '--snapshot', 'bad', '-o', 'json']);
    expect(r.code).toBe(EXIT.CORRUPTION);
    expect(JSON.parse(r.err).error_code).toBe('CORRUPT_FILE');
    expect(JSON.parse(r.err).message).toContain(table);
    expect(readdirSync(tmp.dir).sort()).toEqual(before);
    expect(readFileSync(join(tmp.dir, 'CURRENT'), 'utf8')).toBe(current);
    expect(statSync(join(tmp.dir, 'sst')).isDirectory()).toBe(true);
  });
});
