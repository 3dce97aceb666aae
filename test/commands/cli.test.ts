import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { CliDeps, CoordinatorApi, GatewayApi } from '../../src/commands/output/context.js';
import { PairdbError } from '../../src/core/errors.js';
import type * as pb from '../../src/core/rpc/types.js';

/**
 * The program end to end with a fake gateway and coordinator: flags → client call → printer → stdout, errors →
 * one stderr line and the exit code of ERROR_MAP. (Real sockets and processes: test/e2e/cli.test.ts.)
 */

interface Run {
  code: number | undefined;
  out: string;
  err: string;
  calls: { method: string; args: unknown[] }[];
}

type Fake = Partial<Record<keyof GatewayApi | 'clusterStatus', (...args: any[]) => unknown>>;

async function pairdb(args: string[], fake: Fake = {}, opts: { stdin?: string | 'tty'; env?: NodeJS.ProcessEnv; tty?: boolean } = {}): Promise<Run> {
  let out = '';
  let err = '';
  const calls: Run['calls'] = [];
  const record =
    (method: string) =>
    async (...a: unknown[]) => {
      calls.push({ method, args: a });
      const impl = fake[method as keyof Fake];
      if (!impl) throw new Error(`unexpected call ${method}`);
      return impl(...a);
    };
  const gateway = new Proxy({} as GatewayApi, {
    get: (_t, p: string) => (p === 'close' ? async () => undefined : record(p)),
  });
  const coordinator: CoordinatorApi = { clusterStatus: record('clusterStatus') as never, close: () => undefined };
  const stdin = Object.assign(Readable.from(opts.stdin && opts.stdin !== 'tty' ? [Buffer.from(opts.stdin)] : []), {
    isTTY: opts.stdin === 'tty',
  });
  const deps: CliDeps = {
    io: {
      stdout: { write: (s: string) => (out += s), isTTY: opts.tty ?? false },
      stderr: { write: (s: string) => (err += s) },
      stdin,
      env: opts.env ?? {},
    },
    gateway: () => gateway,
    coordinator: () => coordinator,
  };
  const code = await main(['node', 'pairdb', ...args], deps);
  return { code, out, err, calls };
}

const PUT_OK = (input: { key: string; idempotencyKey: string }) => ({
  status: 'success',
  key: input.key,
  idempotency_key: input.idempotencyKey,
  vector_clock: { c1: 1 },
  replica_count: 3,
  consistency: 'quorum',
  is_duplicate: false,
});

describe('pairdb put', () => {
  it('stores the argument as a JSON string and always sends an idempotency key', async () => {
    const r = await pairdb(['put', '--tenant', 'demo', 'hello', 'world', '-o', 'json'], { put: PUT_OK });
    expect(r.code).toBeUndefined();
    const input = r.calls[0]!.args[0] as { tenant: string; key: string; value: unknown; idempotencyKey: string };
    expect(input).toMatchObject({ tenant: 'demo', key: 'hello', value: 'world' });
    expect(input.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(r.out).idempotency_key).toBe(input.idempotencyKey);
    expect(r.err).toBe('');
  });

  it('parses the value as JSON with -j and takes the tenant from PAIRDB_TENANT', async () => {
    // commander reads flag env vars from process.env itself.
    process.env.PAIRDB_TENANT = 'envt';
    let r: Run;
    try {
      r = await pairdb(['put', 'k', '{"a":[1,true]}', '-j', '-o', 'simple'], { put: PUT_OK });
    } finally {
      delete process.env.PAIRDB_TENANT;
    }
    expect(r.code).toBeUndefined();
    expect(r.calls[0]!.args[0]).toMatchObject({ tenant: 'envt', value: { a: [1, true] } });
    expect(r.out).toBe('OK\n');
  });

  it('exits 2 for invalid JSON with -j and calls nothing', async () => {
    const r = await pairdb(['put', '--tenant', 't', 'k', '{nope', '-j'], { put: PUT_OK });
    expect(r.code).toBe(2);
    expect(r.calls).toHaveLength(0);
    expect(r.err).toMatch(/^pairdb: error: USAGE: /);
  });

  it('reads stdin for "-" without its trailing newline', async () => {
    const r = await pairdb(['put', '--tenant', 't', 'k', '-', '-o', 'simple'], { put: PUT_OK }, { stdin: 'line one\nline two\n' });
    expect(r.code).toBeUndefined();
    expect(r.calls[0]!.args[0]).toMatchObject({ value: 'line one\nline two' });
  });

  it('exits 2 with a hint when the value would come from a terminal', async () => {
    const r = await pairdb(['put', '--tenant', 't', 'k', '-o', 'simple'], { put: PUT_OK }, { stdin: 'tty' });
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[1]).toMatch(/^pairdb: hint: /);
  });

  it('exits 5 with the retry hint naming the key when the outcome is unknown', async () => {
    const r = await pairdb(['put', '--tenant', 't', 'k', 'v', '-o', 'simple', '--idempotency-key', 'my-key'], {
      put: () => {
        throw new PairdbError('TIMEOUT', 'no answer within 8000 ms', { outcome: 'unknown', requestId: 'r-9' });
      },
    });
    expect(r.code).toBe(5);
    expect(r.calls[0]!.args[0]).toMatchObject({ idempotencyKey: 'my-key' });
    const [line, hint] = r.err.split('\n');
    expect(line).toBe('pairdb: error: TIMEOUT: no answer within 8000 ms (request r-9)');
    expect(hint).toBe('pairdb: hint: the write may have been applied; retry with --idempotency-key my-key');
  });

  it('passes --context and --consistency through', async () => {
    const r = await pairdb(['put', '--tenant', 't', 'k', 'v', '--context', '{"c1":4}', '--consistency', 'all'], { put: PUT_OK });
    expect(r.code).toBeUndefined();
    expect(r.calls[0]!.args[0]).toMatchObject({ vectorClock: { c1: 4 }, consistency: 'all' });
  });

  it('exits 2 for an unknown consistency level, before calling', async () => {
    const r = await pairdb(['put', '--tenant', 't', 'k', 'v', '--consistency', 'most'], { put: PUT_OK });
    expect(r.code).toBe(2);
    expect(r.calls).toHaveLength(0);
  });
});

describe('pairdb get', () => {
  it('prints the bare value with -o simple', async () => {
    const r = await pairdb(['get', '--tenant', 't', 'k', '-o', 'simple'], {
      get: () => ({ status: 'success', key: 'k', value: 'world', vector_clock: { c1: 1 } }),
    });
    expect(r.code).toBeUndefined();
    expect(r.out).toBe('world\n');
  });

  it('exits 3 for a missing key', async () => {
    const r = await pairdb(['get', '--tenant', 't', 'nope', '-o', 'simple'], {
      get: () => {
        throw new PairdbError('KEY_NOT_FOUND', 'key not found', { requestId: 'r-1' });
      },
    });
    expect(r.code).toBe(3);
    expect(r.out).toBe('');
    expect(r.err).toBe('pairdb: error: KEY_NOT_FOUND: key not found (request r-1)\n');
  });

  it('reports errors as text when json output is only the default (stdout not a TTY)', async () => {
    const r = await pairdb(['get', '--tenant', 't', 'nope'], {
      get: () => {
        throw new PairdbError('KEY_NOT_FOUND', 'key not found', { requestId: 'r-1' });
      },
    });
    expect(r.code).toBe(3);
    expect(r.err).toBe('pairdb: error: KEY_NOT_FOUND: key not found (request r-1)\n');
  });

  it('reports errors as a JSON object on stderr with -o json', async () => {
    const r = await pairdb(['get', '--tenant', 't', 'nope', '-o', 'json'], {
      get: () => {
        throw new PairdbError('KEY_NOT_FOUND', 'key not found', { requestId: 'r-1' });
      },
    });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.err)).toMatchObject({ status: 'error', error_code: 'KEY_NOT_FOUND', request_id: 'r-1', exit_code: 3 });
  });

  it('exits 2 without a tenant', async () => {
    const r = await pairdb(['get', 'k', '-o', 'simple']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^pairdb: error: USAGE: no tenant given\npairdb: hint: /);
  });

  it('exits 5 when the gateway cannot be reached', async () => {
    const r = await pairdb(['get', '--tenant', 't', 'k', '-o', 'simple'], {
      get: () => {
        throw new PairdbError('CONNECTION_FAILED', 'cannot reach the gateway');
      },
    });
    expect(r.code).toBe(5);
  });
});

describe('pairdb delete', () => {
  it('prints OK', async () => {
    const r = await pairdb(['delete', '--tenant', 't', 'k', '-o', 'simple'], {
      delete: () => ({ status: 'success', key: 'k', vector_clock: { c1: 2 }, replica_count: 3 }),
    });
    expect(r.code).toBeUndefined();
    expect(r.out).toBe('OK\n');
  });

  it('exits 3 for a missing key unless --ignore-missing', async () => {
    const missing = {
      delete: () => {
        throw new PairdbError('KEY_NOT_FOUND', 'key not found');
      },
    };
    expect((await pairdb(['delete', '--tenant', 't', 'k', '-o', 'simple'], missing)).code).toBe(3);
    const r = await pairdb(['delete', '--tenant', 't', 'k', '-o', 'simple', '--ignore-missing'], missing);
    expect(r.code).toBeUndefined();
    expect(r.out).toBe('');
  });
});

describe('pairdb tenant', () => {
  const TENANT = {
    status: 'success',
    tenant_id: 'acme',
    replication_factor: 2,
    conflict_resolution: 'siblings',
    rate_limits: { writes_per_minute: 100, reads_per_minute: null },
    created_at: '2025-03-01T09:30:00.000Z',
    updated_at: '2025-03-01T09:30:00.000Z',
    version: 1,
  };

  it('creates with the given settings and leaves unset ones to the gateway', async () => {
    const r = await pairdb(['tenant', 'create', 'acme', '--rf', '2', '--conflict', 'siblings', '--write-limit', '100', '-o', 'json'], {
      createTenant: () => TENANT,
    });
    expect(r.code).toBeUndefined();
    expect(r.calls[0]!.args[0]).toEqual({ tenant_id: 'acme', replication_factor: 2, conflict_resolution: 'siblings', rate_limits: { writes_per_minute: 100 } });
    expect(JSON.parse(r.out)).toEqual(TENANT);
  });

  it('exits 2 for an out-of-range --rf and 4 for an existing tenant', async () => {
    expect((await pairdb(['tenant', 'create', 'acme', '--rf', '11'], { createTenant: () => TENANT })).code).toBe(2);
    const exists = await pairdb(['tenant', 'create', 'acme'], {
      createTenant: () => {
        throw new PairdbError('TENANT_EXISTS', 'tenant exists');
      },
    });
    expect(exists.code).toBe(4);
  });

  it('updates --rf through the replication-factor endpoint and the rest through PATCH', async () => {
    const rf = await pairdb(['tenant', 'update', 'acme', '--rf', '3', '-o', 'simple'], {
      updateReplicationFactor: () => ({ status: 'success', tenant_id: 'acme', old_replication_factor: 2, new_replication_factor: 3, migration_id: 'mig-1', updated_at: 'x' }),
    });
    expect(rf.calls[0]).toEqual({ method: 'updateReplicationFactor', args: ['acme', 3] });
    expect(rf.out).toBe('mig-1\n');
    const patch = await pairdb(['tenant', 'update', 'acme', '--conflict', 'lww', '--read-limit', 'default'], { updateTenant: () => TENANT });
    expect(patch.calls[0]).toEqual({ method: 'updateTenant', args: ['acme', { conflict_resolution: 'lww', rate_limits: { reads_per_minute: null } }] });
  });

  it('exits 2 for --rf mixed with other settings, or for nothing to update', async () => {
    expect((await pairdb(['tenant', 'update', 'acme', '--rf', '3', '--conflict', 'lww'])).code).toBe(2);
    expect((await pairdb(['tenant', 'update', 'acme'])).code).toBe(2);
  });

  it('lists one page with --limit and --cursor', async () => {
    const r = await pairdb(['tenant', 'list', '--limit', '5', '--cursor', 'a', '-o', 'ndjson'], {
      listTenants: () => ({ status: 'success', tenants: [TENANT], next_cursor: null }),
    });
    expect(r.calls[0]!.args[0]).toEqual({ limit: 5, cursor: 'a' });
    expect(r.out.trimEnd().split('\n')).toHaveLength(1);
  });

  it('exits 2 for the group without a subcommand', async () => {
    expect((await pairdb(['tenant'])).code).toBe(2);
  });
});

describe('pairdb node', () => {
  it('adds a node from --addr and hints --force on NODE_IN_USE', async () => {
    const add = await pairdb(['node', 'add', '--id', 's4', '--addr', '127.0.0.1:50055', '-o', 'simple'], {
      addNode: () => ({ status: 'accepted', node_id: 's4', migration_id: 'mig-2', message: 'ok', estimated_completion: null }),
    });
    expect(add.calls[0]!.args[0]).toEqual({ node_id: 's4', host: '127.0.0.1', port: 50055, virtual_nodes: 150 });
    expect(add.out).toBe('mig-2\n');
    const rm = await pairdb(['node', 'remove', 's1'], {
      removeNode: () => {
        throw new PairdbError('NODE_IN_USE', 'too few nodes');
      },
    });
    expect(rm.code).toBe(4);
    expect(rm.err).toContain('--force');
  });
});

describe('pairdb status', () => {
  const res = (liveness: string): pb.ClusterStatusResponse__Output =>
    ({
      topology_epoch: '1',
      nodes: [
        { node_id: 's1', host: '127.0.0.1', port: 50052, state: 'NODE_STATE_NORMAL', liveness: 'LIVENESS_ALIVE', status: 'normal', virtual_nodes: 150, keys_count: '0', disk_usage_percent: 0, hints_pending: '0', load_bytes: '0', gc_grace_ms: '0', stats_known: true },
        { node_id: 's2', host: '127.0.0.1', port: 50053, state: 'NODE_STATE_NORMAL', liveness, status: 'normal', virtual_nodes: 150, keys_count: '0', disk_usage_percent: 0, hints_pending: '0', load_bytes: '0', gc_grace_ms: '0', stats_known: true },
      ],
      active_migration: null,
      coordinators: [],
      hints_pending: '0',
      last_repair_completed_at_ms: '0',
      metadata_backend: 'embedded',
      redis_connected: false,
      max_replication_factor: 2,
      warnings: [],
      tenant_count: 1,
      migrations_pending: 0,
      max_hint_window_ms: '0',
    }) as pb.ClusterStatusResponse__Output;

  it('prints the JSON shape and exits 0', async () => {
    const r = await pairdb(['status', '-o', 'json'], { clusterStatus: () => res('LIVENESS_ALIVE') });
    expect(r.code).toBeUndefined();
    const body = JSON.parse(r.out);
    expect(body.nodes.map((n: { node_id: string }) => n.node_id)).toEqual(['s1', 's2']);
    expect(body.migration).toBeNull();
  });

  it('--check exits 5 when a node is not UN', async () => {
    expect((await pairdb(['status', '--check', '-o', 'json'], { clusterStatus: () => res('LIVENESS_ALIVE') })).code).toBeUndefined();
    expect((await pairdb(['status', '--check', '-o', 'json'], { clusterStatus: () => res('LIVENESS_DOWN') })).code).toBe(5);
  });
});

describe('pairdb (program)', () => {
  it('prints the version object', async () => {
    const r = await pairdb(['version', '-o', 'json']);
    expect(r.code).toBeUndefined();
    expect(JSON.parse(r.out)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), node: process.versions.node, api: 'pairdb.v1', sstable_format: 1 });
  });

  it('exits 2 with one error line for an unknown option', async () => {
    const r = await pairdb(['get', '--tenant', 't', 'k', '--bogus', '-o', 'simple']);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toMatch(/^pairdb: error: USAGE: unknown option '--bogus'/);
  });

  it('exits 2 for an unknown command and for extra arguments', async () => {
    expect((await pairdb(['frobnicate'])).code).toBe(2);
    expect((await pairdb(['get', '--tenant', 't', 'a', 'b'])).code).toBe(2);
  });

  it('exits 0 for --help and lists the command groups', async () => {
    const r = await pairdb(['--help']);
    expect(r.code).toBe(0);
    for (const group of ['Local:', 'Daemons:', 'Data:', 'Tenants:', 'Cluster:']) expect(r.out).toContain(group);
  });

  it('reports unexpected exceptions as INTERNAL_ERROR (exit 1) without a stack, with one under --debug', async () => {
    const boom = {
      get: () => {
        throw new TypeError('boom');
      },
    };
    const plain = await pairdb(['get', '--tenant', 't', 'k', '-o', 'simple'], boom);
    expect(plain.code).toBe(1);
    expect(plain.err).toBe('pairdb: error: INTERNAL_ERROR: boom\n');
    const debug = await pairdb(['get', '--tenant', 't', 'k', '-o', 'simple', '--debug'], boom);
    expect(debug.err).toContain('    at ');
  });
});
