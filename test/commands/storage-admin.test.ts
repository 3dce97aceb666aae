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

async function startNode(): Promise<{ daemon: StorageDaemon; target: string }> {
  const daemon = new StorageDaemon(
    { nodeId: 's1', dataDir: tmp.dir, host: '127.0.0.1', port: 0, adminPort: null, commitlogSync: 'batch', shutdownTimeoutMs: 5000 },
    silentLogger(),
  );
  daemons.push(daemon);
  await daemon.start();
  const target = `127.0.0.1:${daemon.grpcPort}`;
  const client = new StorageClient(target);
  try {
    for (let i = 0; i < 3; i++) {
      const v = ver({ ht: Date.now() * 1000, writeId: `w-${i}` });
      await client.write(
        { record: { tenant_id: 'acme', key: `k${i}`, versions: [versionToWire(v)] }, purpose: 'PURPOSE_CLIENT', topology_epoch: 1 },
        { requestId: 't', deadlineMs: Date.now() + 5000 },
      );
    }
  } finally {
    client.close();
  }
  return { daemon, target };
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
