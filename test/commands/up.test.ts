import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireUpLock, checkPortPlan, checkPortsFree, plannedPorts } from '../../src/commands/up.js';
import { PairdbError } from '../../src/core/errors.js';

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PairdbError);
    return (e as PairdbError).code;
  }
  return undefined;
}

describe('plannedPorts', () => {
  it('lays out the ports of cli-and-ops.md §2.1', () => {
    const uses = plannedPorts({ nodes: 3, port: 8080, grpcPort: 50051, adminPort: 9100 });
    expect(uses.map((u) => u.port).sort((a, b) => a - b)).toEqual([8080, 9100, 9101, 9102, 9103, 9104, 50051, 50052, 50053, 50054]);
    expect(uses.find((u) => u.port === 50053)!.flag).toBe('--grpc-port');
    expect(uses.find((u) => u.port === 9104)!.flag).toBe('--admin-port');
  });

  it('rejects overlapping and out-of-range layouts with USAGE', async () => {
    expect(await codeOf(() => checkPortPlan(plannedPorts({ nodes: 3, port: 50052, grpcPort: 50051, adminPort: 9100 })))).toBe('USAGE');
    expect(await codeOf(() => checkPortPlan(plannedPorts({ nodes: 3, port: 8080, grpcPort: 65534, adminPort: 9100 })))).toBe('USAGE');
    expect(await codeOf(() => checkPortPlan(plannedPorts({ nodes: 16, port: 8080, grpcPort: 50051, adminPort: 9100 })))).toBeUndefined();
  });
});

describe('checkPortsFree', () => {
  let held: Server | undefined;
  afterEach(async () => {
    if (held) await new Promise((r) => held!.close(r));
    held = undefined;
  });

  it('answers ADDRESS_IN_USE with a hint naming the flag', async () => {
    held = createServer();
    await new Promise<void>((r) => held!.listen(0, '127.0.0.1', r));
    const port = (held.address() as AddressInfo).port;
    let err: PairdbError | undefined;
    try {
      await checkPortsFree([{ port, what: 'gateway API', flag: '--port' }]);
    } catch (e) {
      err = e as PairdbError;
    }
    expect(err?.code).toBe('ADDRESS_IN_USE');
    expect(err?.exitCode).toBe(4);
    expect(err?.hint).toContain('--port');
  });
});

describe('acquireUpLock', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a lock held by a live process with DATA_DIR_LOCKED', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pairdb-up-lock-'));
    // The parent of this test process is alive and is not us.
    writeFileSync(join(dir, 'LOCK'), `${process.ppid}\n`);
    expect(await codeOf(() => acquireUpLock(dir, () => undefined))).toBe('DATA_DIR_LOCKED');
    expect(readFileSync(join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.ppid));
  });

  it('takes over the lock of a dead process with a warning, and releases it', () => {
    dir = mkdtempSync(join(tmpdir(), 'pairdb-up-lock-'));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, 'LOCK'), `${dead}\n`);
    const warnings: string[] = [];
    const release = acquireUpLock(dir, (m) => warnings.push(m));
    expect(warnings).toHaveLength(1);
    expect(readFileSync(join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });
});
