import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, freeUpPorts, pairdb, pidAlive, startUp, upArgs } from './cli-harness.js';

/** `pairdb up` itself: refusals before anything starts, and a restart that keeps the data. */
describe('pairdb up', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'pairdb-e2e-up-'));
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    await ensureBuilt();
  }, 180_000);

  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('exits 4 with a hint naming the flag when a port is busy, and starts nothing', async () => {
    const ports = await freeUpPorts(2);
    const held: Server = createServer();
    await new Promise<void>((r) => held.listen(ports.grpcPort + 2, '127.0.0.1', r));
    try {
      const dir = tempDir();
      const r = await pairdb(upArgs(dir, ports, ['--nodes', '2']));
      expect(r.exitCode).toBe(4);
      expect(r.stderr).toMatch(/^pairdb: error: ADDRESS_IN_USE: port \d+ /m);
      expect(r.stderr).toMatch(/^pairdb: hint: .*--grpc-port/m);
      expect(existsSync(join(dir, 'up.json'))).toBe(false);
      expect(existsSync(join(dir, 'LOCK'))).toBe(false);
    } finally {
      await new Promise((r) => held.close(r));
    }
  });

  it('exits 4 when another live process holds the data dir lock', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'LOCK'), `${process.pid}\n`);
    const r = await pairdb(upArgs(dir, await freeUpPorts(1), ['--nodes', '1']));
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/^pairdb: error: DATA_DIR_LOCKED: /m);
    expect(readFileSync(join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
  });

  it('exits 2 for --nodes outside 1..16 and for overlapping ports', async () => {
    const dir = tempDir();
    expect((await pairdb(['up', '--data-dir', dir, '--nodes', '17'])).exitCode).toBe(2);
    expect((await pairdb(['up', '--data-dir', dir, '--nodes', '0'])).exitCode).toBe(2);
    expect((await pairdb(['up', '--data-dir', dir, '--port', '50052', '--grpc-port', '50051'])).exitCode).toBe(2);
  });

  it('restarts on the same data dir with the data kept, and refuses fewer nodes', async () => {
    const dir = tempDir();
    const ports = await freeUpPorts(2);
    const first = await startUp(upArgs(dir, ports, ['--nodes', '2', '--tenant', 'keep']));
    const url = first.readiness.gateway_url;
    expect((await pairdb(['put', 'k', 'durable', '--url', url, '--tenant', 'keep'])).exitCode).toBe(0);
    first.proc.kill('SIGTERM');
    expect((await first.proc).exitCode).toBe(0);

    const again = await startUp(upArgs(dir, ports, ['--nodes', '2', '--tenant', 'keep']));
    try {
      const got = await pairdb(['get', 'k', '--url', url, '--tenant', 'keep', '-o', 'simple']);
      expect(got.exitCode).toBe(0);
      expect(got.stdout).toBe('durable');
      const tenants = JSON.parse((await pairdb(['tenant', 'list', '--url', url, '-o', 'json'])).stdout);
      expect(tenants.tenants.map((t: { tenant_id: string; replication_factor: number }) => [t.tenant_id, t.replication_factor])).toEqual([['keep', 2]]);
    } finally {
      again.proc.kill('SIGINT');
      expect((await again.proc).exitCode).toBe(0);
    }
    const state = JSON.parse(readFileSync(join(dir, 'up.json'), 'utf8'));
    for (const s of state.storage) expect(pidAlive(s.pid)).toBe(false);

    const fewer = await pairdb(upArgs(dir, ports, ['--nodes', '1']));
    expect(fewer.exitCode).toBe(2);
    expect(fewer.stderr).toMatch(/^pairdb: hint: .*node remove/m);
  });

  it('kills the children and exits 130 on a second Ctrl-C', async () => {
    const dir = tempDir();
    const ports = await freeUpPorts(1);
    const run = await startUp(upArgs(dir, ports, ['--nodes', '1', '--tenant', '']));
    const state = JSON.parse(readFileSync(join(dir, 'up.json'), 'utf8'));
    // A frozen gateway cannot finish its graceful stop, so the first Ctrl-C is still waiting for it.
    process.kill(state.gateway.pid, 'SIGSTOP');
    run.proc.kill('SIGINT');
    for (let i = 0; i < 100 && !run.stderr().includes('stopping the cluster'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(run.proc.exitCode).toBeNull();
    run.proc.kill('SIGINT');
    expect((await run.proc).exitCode).toBe(130);
    for (const pid of [state.gateway.pid, state.coordinator.pid, state.storage[0].pid]) expect(pidAlive(pid)).toBe(false);
  });

  it('keeps running when a storage node dies, stops everything and exits 1 when the coordinator dies', async () => {
    const dir = tempDir();
    const ports = await freeUpPorts(2);
    const run = await startUp(upArgs(dir, ports, ['--nodes', '2', '--tenant', '']));
    expect(run.readiness.tenant).toBeNull();
    const state = JSON.parse(readFileSync(join(dir, 'up.json'), 'utf8'));
    process.kill(state.storage[1].pid, 'SIGKILL');
    for (let i = 0; i < 100 && !run.stderr().includes('storage s2 exited unexpectedly'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(run.stderr()).toContain('storage s2 exited unexpectedly');
    // Degraded, not stopped: the gateway still answers.
    expect((await pairdb(['node', 'list', '--url', run.readiness.gateway_url, '-o', 'json'])).exitCode).toBe(0);
    expect(run.proc.exitCode).toBeNull();
    process.kill(state.coordinator.pid, 'SIGKILL');
    const result = await run.proc;
    expect(result.exitCode).toBe(1);
    expect(run.stderr()).toMatch(/coordinator c1 exited/);
    expect(pidAlive(state.gateway.pid)).toBe(false);
    expect(pidAlive(state.storage[0].pid)).toBe(false);
  });
});
