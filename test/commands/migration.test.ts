import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { CliDeps, CoordinatorApi, GatewayApi } from '../../src/commands/output/context.js';
import type { MigrationBody, MigrationStatusName } from '../../src/core/client/api-types.js';
import { PairdbError } from '../../src/core/errors.js';

/**
 * `migration status [--watch]`, the `--wait` flags and `repair --range` parsing, with a fake gateway: a scripted
 * sequence of statuses → stdout/stderr and the exit code. (Real processes: test/integration/ops-cli.test.ts.)
 */

const ID = 'mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e';

function mig(status: MigrationStatusName, done: number): MigrationBody {
  return {
    status: 'success', migration_id: ID, type: 'node_addition', node_id: 's4', tenant_id: null, migration_status: status,
    progress: { keys_migrated: done, total_keys: 100, percentage: done }, started_at: '2025-03-01T09:31:02.114Z',
    estimated_completion: null, completed_at: status === 'in_progress' ? null : '2025-03-01T09:33:40.000Z', error: status === 'failed' ? 'boom' : null,
  };
}

async function pairdb(args: string[], gatewayImpl: Partial<Record<keyof GatewayApi, (...a: any[]) => unknown>>) {
  let out = '';
  let err = '';
  const calls: string[] = [];
  const gateway = new Proxy({} as GatewayApi, {
    get: (_t, p: string) =>
      p === 'close'
        ? async () => undefined
        : async (...a: unknown[]) => {
            calls.push(p);
            const impl = gatewayImpl[p as keyof GatewayApi];
            if (!impl) throw new Error(`unexpected call ${p}`);
            return impl(...a);
          },
  });
  const coordinator = { close: () => undefined } as unknown as CoordinatorApi;
  const deps: CliDeps = {
    io: { stdout: { write: (s: string) => (out += s), isTTY: false }, stderr: { write: (s: string) => (err += s) }, stdin: Object.assign(Readable.from([]), { isTTY: false }), env: {} },
    gateway: () => gateway,
    coordinator: () => coordinator,
  };
  const code = await main(['node', 'pairdb', ...args], deps);
  return { code: code ?? 0, out, err, calls };
}

const scripted = (...seq: MigrationBody[]) => async () => seq.length > 1 ? seq.shift()! : seq[0]!;

describe('migrationCommand', () => {
  it('--watch on a pipe prints one ndjson line per poll and exits 0 when completed', async () => {
    const r = await pairdb(['migration', 'status', ID, '--watch', '--interval', '100ms'], { getMigration: scripted(mig('in_progress', 10), mig('in_progress', 60), mig('completed', 100)) });
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as MigrationBody);
    expect(lines.map((l) => [l.migration_status, l.progress.keys_migrated])).toEqual([['in_progress', 10], ['in_progress', 60], ['completed', 100]]);
    expect(r.calls).toEqual(['getMigration', 'getMigration', 'getMigration']);
  });

  it('--watch exits 1 when the migration fails, and a plain status of a failed one too', async () => {
    const watched = await pairdb(['migration', 'status', ID, '--watch', '--interval', '100ms', '-o', 'ndjson'], { getMigration: scripted(mig('in_progress', 10), mig('failed', 10)) });
    expect(watched.code).toBe(1);
    expect(watched.out.trim().split('\n')).toHaveLength(2);
    const plain = await pairdb(['migration', 'status', ID, '-o', 'json'], { getMigration: scripted(mig('failed', 10)) });
    expect(plain.code).toBe(1);
    expect(JSON.parse(plain.out).error).toBe('boom');
    const running = await pairdb(['migration', 'status', ID, '-o', 'simple'], { getMigration: scripted(mig('in_progress', 42)) });
    expect(running.code).toBe(0);
    expect(running.out).toBe(`${ID}\tnode_addition\ts4\tin_progress\t42\t42\t100\n`);
  });

  it('exits 3 for an unknown migration and 2 for a bad --interval', async () => {
    const missing = await pairdb(['migration', 'status', 'mig-nope', '--watch'], {
      getMigration: async () => Promise.reject(new PairdbError('MIGRATION_NOT_FOUND', 'migration mig-nope not found')),
    });
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/MIGRATION_NOT_FOUND/);
    const bad = await pairdb(['migration', 'status', ID, '--watch', '--interval', 'often'], {});
    expect(bad.code).toBe(2);
    expect(bad.calls).toEqual([]);
  });

  it('-o table on a non-terminal stderr: at most one note per 10 s, then the final table', async () => {
    const r = await pairdb(['migration', 'status', ID, '--watch', '--interval', '100ms', '-o', 'table'], { getMigration: scripted(mig('in_progress', 10), mig('in_progress', 50), mig('completed', 100)) });
    expect(r.code, r.err).toBe(0);
    expect(r.err.split('\n').filter((l) => l.startsWith('note: '))).toEqual(['note: node_addition s4 [>         ] 10% 10/100 keys ETA --']);
    expect(r.out).toMatch(/MIGRATION\s+TYPE\s+TARGET\s+STATUS/);
    expect(r.out).toContain('completed');
    const quiet = await pairdb(['migration', 'status', ID, '--watch', '--interval', '100ms', '-o', 'table', '-q'], { getMigration: scripted(mig('completed', 100)) });
    expect(quiet.err).toBe('');
  });
});

describe('--wait', () => {
  it('node add --wait follows the returned migration', async () => {
    const r = await pairdb(['node', 'add', '--id', 's4', '--addr', '127.0.0.1:50055', '--wait', '--interval', '100ms', '-o', 'ndjson'], {
      addNode: async () => ({ status: 'accepted', node_id: 's4', migration_id: ID, message: 'node addition accepted', estimated_completion: null }),
      getMigration: scripted(mig('in_progress', 5), mig('completed', 100)),
    });
    expect(r.code, r.err).toBe(0);
    expect(r.calls).toEqual(['addNode', 'getMigration', 'getMigration']);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].status).toBe('accepted');
    expect(lines.at(-1).migration_status).toBe('completed');
  });

  it('tenant update --rf --wait has nothing to wait for when the factor did not change', async () => {
    const r = await pairdb(['tenant', 'update', 'acme', '--rf', '3', '--wait', '-o', 'json'], {
      updateReplicationFactor: async () => ({ status: 'success', tenant_id: 'acme', old_replication_factor: 3, new_replication_factor: 3, migration_id: null, updated_at: '2025-03-01T10:00:00.000Z' }),
    });
    expect(r.code, r.err).toBe(0);
    expect(r.calls).toEqual(['updateReplicationFactor']);
    // --replication-factor is the long name of --rf.
    let asked = 0;
    const long = await pairdb(['tenant', 'update', 'acme', '--replication-factor', '5', '-o', 'json'], {
      updateReplicationFactor: async (_id: string, rf: number) => {
        asked = rf;
        return { status: 'success', tenant_id: 'acme', old_replication_factor: 3, new_replication_factor: rf, migration_id: null, updated_at: '2025-03-01T10:00:00.000Z' };
      },
    });
    expect(long.code, long.err).toBe(0);
    expect(asked).toBe(5);
    expect((await pairdb(['tenant', 'update', 'acme', '--rf', '4', '--replication-factor', '5'], {})).code).toBe(2);
    const noRf = await pairdb(['tenant', 'update', 'acme', '--conflict', 'siblings', '--wait'], {});
    expect(noRf.code).toBe(2);
    expect(noRf.calls).toEqual([]);
  });

  it('node remove --wait exits 1 when the removal fails', async () => {
    const r = await pairdb(['node', 'remove', 's2', '--wait', '--interval', '100ms', '-o', 'ndjson'], {
      removeNode: async () => ({ status: 'accepted', node_id: 's2', migration_id: ID, message: 'node removal accepted', estimated_completion: null }),
      getMigration: scripted(mig('failed', 3)),
    });
    expect(r.code).toBe(1);
  });
});

describe('repair --range', () => {
  it('rejects bounds that are not two decimal uint64 values with exit 2, before calling the coordinator', async () => {
    for (const bad of ['5', 'a:b', '-1:5', '1:18446744073709551616', '1:2:3']) {
      const r = await pairdb(['repair', '--range', bad], {});
      expect(r.code, bad).toBe(2);
      expect(r.err).toMatch(/USAGE/);
    }
  });
});
