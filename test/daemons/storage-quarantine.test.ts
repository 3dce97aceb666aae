import { closeSync, existsSync, openSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sstFileName } from '../../src/core/engine/sstable-format.js';
import { EXIT } from '../../src/core/exit-codes.js';
import { PairdbError } from '../../src/core/errors.js';
import { versionToWire } from '../../src/core/model/version-wire.js';
import type { StorageClient } from '../../src/core/rpc/clients.js';
import { ver } from '../core/engine/helpers.js';
import { ensureBuilt, pairdb } from '../e2e/cli-harness.js';
import { storageDaemonHarness } from './storage-harness.js';

/**
 * `--quarantine-corrupt` (storage-engine.md §5 step 3, cli-and-ops.md §4): an unopenable table refuses the start,
 * naming the file (the real binary exits 7); with the flag it moves to quarantine/, an EDIT removes it, the node
 * starts DEGRADED and serves the rest of its data.
 */

const harness = storageDaemonHarness('pairdb-storage-quarantine-');
const opts = () => ({ requestId: 'test', deadlineMs: Date.now() + 30_000 });

async function put(client: StorageClient, key: string, i: number): Promise<void> {
  const v = ver({ ht: Date.now() * 1000 + i, value: `"${key}"` });
  await client.write({ record: { tenant_id: 'acme', key, versions: [versionToWire(v)] }, purpose: 'PURPOSE_REPAIR', topology_epoch: 1 }, opts());
}

/** Keys a0..a9 in table 1, b0..b9 in table 2; returns the two table files and the stopped node's dir. */
async function twoTables(): Promise<{ first: string; second: string }> {
  const { daemon, client } = await harness.start();
  for (let i = 0; i < 10; i++) await put(client, `a${i}`, i);
  await client.flush({ wait: true }, opts());
  for (let i = 0; i < 10; i++) await put(client, `b${i}`, 100 + i);
  await client.flush({ wait: true }, opts());
  const [second, first] = daemon.engine!.manifestState.tables.get(0)!.map((t) => join(harness.dir, 'sst', sstFileName(t.file)));
  await daemon.stop('test');
  return { first: first!, second: second! };
}

function flipByte(path: string, fromEnd: number): void {
  const fd = openSync(path, 'r+');
  const at = statSync(path).size - fromEnd;
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0]! ^= 0xff;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

async function startFailure(cfg: Parameters<typeof harness.start>[0]): Promise<PairdbError> {
  try {
    await harness.start(cfg);
  } catch (err) {
    return err as PairdbError;
  }
  throw new Error('the node started');
}

describe('storage --quarantine-corrupt', () => {
  it('refuses a corrupt table naming it; with the flag moves it aside, starts DEGRADED and serves the rest', async () => {
    const { first } = await twoTables();
    flipByte(first, 3); // footer magic
    const refused = await startFailure({});
    expect(refused.code).toBe('CORRUPT_FILE');
    expect(refused.exitCode).toBe(EXIT.CORRUPTION);
    expect(refused.message).toContain(first);
    expect(refused.hint).toContain('--quarantine-corrupt');

    const { daemon, client } = await harness.start({ quarantineCorrupt: true });
    const file = Number(first.slice(-24, -4));
    expect(existsSync(first)).toBe(false);
    expect(existsSync(join(harness.dir, 'quarantine', sstFileName(file)))).toBe(true);
    expect(daemon.engine!.manifestState.tables.get(0)!.map((t) => t.file)).not.toContain(file);
    const health = await client.health(opts());
    expect(health.state).toBe('STATE_DEGRADED');
    expect(health.details.quarantined_tables).toBe(String(file));
    expect(health.details.degraded).toContain('quarantined_tables');
    for (let i = 0; i < 10; i++) {
      expect((await client.read({ tenant_id: 'acme', key: `b${i}` }, opts())).found).toBe(true);
      expect((await client.read({ tenant_id: 'acme', key: `a${i}` }, opts())).found).toBe(false);
    }
    await daemon.stop('test');

    // The EDIT is committed: the next start needs no flag and is healthy.
    const again = await harness.start();
    expect((await again.client.health(opts())).state).toBe('STATE_SERVING');
    expect((await again.client.read({ tenant_id: 'acme', key: 'b3' }, opts())).found).toBe(true);
  });

  it('a table the manifest lists but the disk lacks: refused, then removed from the manifest with the flag', async () => {
    const { second } = await twoTables();
    unlinkSync(second);
    const refused = await startFailure({});
    expect(refused.code).toBe('CORRUPT_FILE');
    expect(refused.message).toContain(`${second} (L0) is listed in the manifest but missing`);
    const { client } = await harness.start({ quarantineCorrupt: true });
    expect((await client.health(opts())).details.quarantined_tables).toBe(second.slice(-24, -4).replace(/^0+/, ''));
    expect((await client.read({ tenant_id: 'acme', key: 'a1' }, opts())).found).toBe(true);
  });

  it('the real binary exits 7 naming the file, with the --quarantine-corrupt hint', async () => {
    await ensureBuilt();
    const { first } = await twoTables();
    flipByte(first, 3);
    const args = ['storage', '--node-id', 's1', '--data-dir', harness.dir, '--port', '0', '--admin-port', '0', '--log-level', 'error'];
    const r = await pairdb(args);
    expect(r.exitCode).toBe(EXIT.CORRUPTION);
    expect(r.stderr).toContain('CORRUPT_FILE');
    expect(r.stderr).toContain(first);
    expect(r.stderr).toContain('--quarantine-corrupt');
  });
});
