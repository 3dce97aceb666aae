import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, freeUpPorts, pairdb, pidAlive, startUp, upArgs, type RunningUp, type UpPorts } from './cli-harness.js';

/**
 * The built binary against a real `pairdb up` cluster (gateway, coordinator, 3 storage nodes as processes): data
 * commands and their exit codes, the admin commands, then Ctrl-C leaves no process behind.
 */
describe('pairdb CLI against pairdb up', () => {
  let dataDir: string;
  let ports: UpPorts;
  let up: RunningUp | undefined;
  let url: string;
  const data = (args: string[], input?: string) => pairdb([...args, '--url', url, '--tenant', 'demo'], { input });

  beforeAll(async () => {
    await ensureBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'pairdb-e2e-cli-'));
    ports = await freeUpPorts(3);
    up = await startUp(upArgs(dataDir, ports, ['--nodes', '3', '--tenant', 'demo']));
    url = up.readiness.gateway_url;
  }, 120_000);

  afterAll(async () => {
    // Only if a test failed before the SIGINT test: no cluster may outlive the suite.
    if (up && up.proc.exitCode === null) {
      up.proc.kill('SIGINT');
      await up.proc;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the readiness object of cli-and-ops.md §2.1', () => {
    const r = up!.readiness;
    expect(r.gateway_url).toBe(`http://127.0.0.1:${ports.port}`);
    expect(r.coordinator).toBe(`127.0.0.1:${ports.grpcPort}`);
    expect(r.storage.map((s) => s.address)).toEqual([1, 2, 3].map((i) => `127.0.0.1:${ports.grpcPort + i}`));
    expect(r.tenant).toBe('demo');
    expect(r.data_dir).toBe(dataDir);
  });

  it('puts, gets and deletes a value (exit 0), then get exits 3', async () => {
    const put = await data(['put', 'hello', 'world', '-o', 'simple']);
    expect(put.stderr).toBe('');
    expect(put.exitCode).toBe(0);
    expect(put.stdout).toBe('OK');

    const get = await data(['get', 'hello', '-o', 'simple']);
    expect(get.exitCode).toBe(0);
    expect(get.stdout).toBe('world');

    const body = JSON.parse((await data(['get', 'hello', '-o', 'json'])).stdout);
    expect(body).toMatchObject({ status: 'success', key: 'hello', value: 'world' });
    expect(Object.keys(body.vector_clock)).toHaveLength(1);

    const del = await data(['delete', 'hello', '-o', 'simple']);
    expect(del.exitCode).toBe(0);
    expect(del.stdout).toBe('OK');

    const gone = await data(['get', 'hello', '-o', 'simple']);
    expect(gone.exitCode).toBe(3);
    expect(gone.stderr).toMatch(/^pairdb: error: KEY_NOT_FOUND: .* \(request [0-9a-f-]{36}\)$/);

    expect((await data(['delete', 'hello'])).exitCode).toBe(3);
    expect((await data(['delete', 'hello', '--ignore-missing'])).exitCode).toBe(0);
  });

  it('stores JSON with -j and strings from stdin', async () => {
    expect((await data(['put', 'doc', '{"n":1,"tags":["a"]}', '-j'])).exitCode).toBe(0);
    expect(JSON.parse((await data(['get', 'doc', '-o', 'json'])).stdout).value).toEqual({ n: 1, tags: ['a'] });
    expect((await data(['get', 'doc', '-o', 'simple'])).stdout).toBe('{"n":1,"tags":["a"]}');

    const piped = await data(['put', 'piped'], 'from stdin\n');
    expect(piped.stderr).toBe('');
    expect(piped.exitCode).toBe(0);
    expect(JSON.parse((await data(['get', 'piped', '-o', 'json'])).stdout).value).toBe('from stdin');
  });

  it('replays a put retried with the same idempotency key', async () => {
    const first = JSON.parse((await data(['put', 'idem', 'v1', '--idempotency-key', 'order-1', '-o', 'json'])).stdout);
    const again = JSON.parse((await data(['put', 'idem', 'v1', '--idempotency-key', 'order-1', '-o', 'json'])).stdout);
    expect(first.is_duplicate).toBe(false);
    expect(again.is_duplicate).toBe(true);
    expect(again.vector_clock).toEqual(first.vector_clock);
  });

  it('exits 2 for bad input, locally or from the gateway', async () => {
    expect((await data(['put', 'k', '{bad', '-j'])).exitCode).toBe(2);
    expect((await pairdb(['get', 'k', '--url', url])).exitCode).toBe(2); // no tenant
    expect((await data(['get', 'k', '--consistency', 'most'])).exitCode).toBe(2);
    const long = await data(['get', 'x'.repeat(2000)]);
    expect(long.exitCode).toBe(2);
    expect(long.stderr).toMatch(/^pairdb: error: INVALID_REQUEST: /);
    const json = await data(['get', 'x'.repeat(2000), '-o', 'json']);
    expect(JSON.parse(json.stderr)).toMatchObject({ status: 'error', error_code: 'INVALID_REQUEST', exit_code: 2 });
  });

  it('exits 3 for an unknown tenant', async () => {
    const r = await pairdb(['get', 'k', '--url', url, '--tenant', 'nobody']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/^pairdb: error: TENANT_NOT_FOUND: /);
  });

  it('manages tenants: create, get, list, conflict on re-create', async () => {
    const created = await pairdb(['tenant', 'create', 'acme', '--rf', '2', '--url', url, '-o', 'json']);
    expect(created.exitCode).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ status: 'success', tenant_id: 'acme', replication_factor: 2, conflict_resolution: 'lww' });
    expect((await pairdb(['tenant', 'create', 'acme', '--url', url])).exitCode).toBe(4);
    const got = await pairdb(['tenant', 'get', 'demo', '--url', url, '-o', 'json']);
    expect(JSON.parse(got.stdout)).toMatchObject({ tenant_id: 'demo', replication_factor: 3 });
    const listed = await pairdb(['tenant', 'list', '--url', url, '-o', 'simple']);
    expect(listed.stdout.split('\n').map((l) => l.split('\t')[0])).toEqual(['acme', 'demo']);
    expect((await pairdb(['tenant', 'get', 'nobody', '--url', url])).exitCode).toBe(3);
  });

  it('lists the storage nodes and shows the ring status from the coordinator', async () => {
    const nodes = JSON.parse((await pairdb(['node', 'list', '--url', url, '-o', 'json'])).stdout);
    expect(nodes.nodes.map((n: { node_id: string; status: string }) => [n.node_id, n.status])).toEqual([
      ['s1', 'normal'],
      ['s2', 'normal'],
      ['s3', 'normal'],
    ]);
    const status = await pairdb(['status', '--coordinator', `127.0.0.1:${ports.grpcPort}`, '--check', '-o', 'json']);
    expect(status.exitCode).toBe(0);
    const body = JSON.parse(status.stdout);
    expect(body.nodes.map((n: { node_id: string; up: boolean; state: string }) => [n.node_id, n.up, n.state])).toEqual([
      ['s1', true, 'normal'],
      ['s2', true, 'normal'],
      ['s3', true, 'normal'],
    ]);
    const owns = body.nodes.reduce((s: number, n: { owns: number }) => s + n.owns, 0);
    expect(owns).toBeCloseTo(1, 5);
    const table = await pairdb(['status', '--coordinator', `127.0.0.1:${ports.grpcPort}`, '-o', 'table']);
    expect(table.stdout.split('\n')[0]).toMatch(/^Cluster: 3 storage nodes \(3 up\), 450 tokens, metadata embedded/);
  });

  it('refuses a second pairdb up on the same data dir with exit 4', async () => {
    const other = await freeUpPorts(3);
    const second = await pairdb(upArgs(dataDir, other, ['--nodes', '3']));
    expect(second.exitCode).toBe(4);
    expect(second.stderr).toMatch(/^pairdb: error: DATA_DIR_LOCKED: /m);
  });

  it('stops on SIGINT with exit 0 and leaves no child process behind', async () => {
    const state = JSON.parse(readFileSync(join(dataDir, 'up.json'), 'utf8'));
    const pids: number[] = [state.gateway.pid, state.coordinator.pid, ...state.storage.map((s: { pid: number }) => s.pid)];
    expect(pids).toHaveLength(5);
    for (const pid of pids) expect(pidAlive(pid)).toBe(true);
    up!.proc.kill('SIGINT');
    const result = await up!.proc;
    expect(result.exitCode).toBe(0);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  });

  it('exits 5 once the gateway is down', async () => {
    const r = await pairdb(['get', 'k', '--url', url, '--tenant', 'demo']);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toMatch(/^pairdb: error: CONNECTION_FAILED: /);
    const s = await pairdb(['status', '--coordinator', `127.0.0.1:${ports.grpcPort}`, '--timeout', '2s']);
    expect(s.exitCode).toBe(5);
  });
});
