import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HEADER_SIZE, RECORD_HEADER_SIZE, readRecordAt } from '../../src/core/engine/commit-log-format.js';
import { versionToWire } from '../../src/core/model/version-wire.js';
import { StorageClient } from '../../src/core/rpc/clients.js';
import { tempDir, ver } from '../core/engine/helpers.js';

/**
 * The real `pairdb storage` process (bin/pairdb loads dist/: build first with `npx tsc -p . && node
 * scripts/copy-assets.mjs`, as `npm test` does).
 */

const BIN = fileURLToPath(new URL('../../bin/pairdb', import.meta.url));
const PRELOAD_EIO = new URL('../fixtures/fdatasync-eio.mjs', import.meta.url).href;

interface Proc {
  child: ChildProcess;
  stderr: string[];
  exited: Promise<number | null>;
  serving: Promise<{ port: number; adminPort: number }>;
}

let tmp: ReturnType<typeof tempDir>;
const procs: Proc[] = [];
const clients: StorageClient[] = [];

beforeEach(() => {
  tmp = tempDir('pairdb-storage-proc-');
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  }
  tmp.cleanup();
});

function env(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PAIRDB_')) out[k] = v;
  return out;
}

/** `node` adds arguments for node itself (e.g. `--import` of a fault preload) and environment variables. */
function startStorage(dataDir = join(tmp.dir, 's1'), extra: string[] = [], node: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Proc {
  const child = spawn(
    process.execPath,
    [...(node.args ?? []), BIN, 'storage', '--node-id', 's1', '--data-dir', dataDir, '--port', '0', '--admin-port', '0', '--log-level', 'info', ...extra],
    { env: { ...env(), ...node.env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const stderr: string[] = [];
  let onServing: (v: { port: number; adminPort: number }) => void;
  const serving = new Promise<{ port: number; adminPort: number }>((resolve) => (onServing = resolve));
  let partial = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      stderr.push(line);
      try {
        const j = JSON.parse(line) as { msg?: string; port?: number; admin_port?: number };
        if (j.msg === 'storage node serving') onServing({ port: j.port!, adminPort: j.admin_port! });
      } catch {
        // not JSON: the one-line error of main()
      }
    }
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 128))),
  );
  const p: Proc = { child, stderr, exited, serving };
  procs.push(p);
  return p;
}

async function connect(p: Proc): Promise<StorageClient> {
  const { port } = await Promise.race([
    p.serving,
    p.exited.then((code) => {
      throw new Error(`storage exited with ${code}: ${p.stderr.join('\n')}`);
    }),
  ]);
  const c = new StorageClient(`127.0.0.1:${port}`);
  clients.push(c);
  return c;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

const opts = () => ({ requestId: 't', deadlineMs: Date.now() + 5000 });

function put(c: StorageClient, key: string, value: string) {
  const v = ver({ ht: Date.now() * 1000, value: `"${value}"`, writeId: key });
  return c.write({ record: { tenant_id: 'acme', key, versions: [versionToWire(v)] }, purpose: 'PURPOSE_CLIENT' }, opts());
}

async function expectAllFound(c: StorageClient, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 200) {
    const chunk = keys.slice(i, i + 200);
    const found = await Promise.all(chunk.map((k) => c.read({ tenant_id: 'acme', key: k }, opts()).then((r) => r.found)));
    expect(chunk.filter((_, j) => !found[j])).toEqual([]);
  }
}

describe('pairdb storage (process)', () => {
  it('serves, is ready, exits 0 on SIGTERM and keeps its data for the next start', async () => {
    const adminPort = await freePort();
    const p = startStorage(join(tmp.dir, 's1'), ['--admin-port', String(adminPort)]);
    const c = await connect(p);
    expect((await p.serving).adminPort).toBe(adminPort);
    expect((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status).toBe(200);
    await put(c, 'k1', 'one');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const again = startStorage();
    const c2 = await connect(again);
    const read = await c2.read({ tenant_id: 'acme', key: 'k1' }, opts());
    expect(read.record!.versions[0]!.value.toString()).toBe('"one"');
  });

  it('keeps every acknowledged write across SIGKILL (3 crash cycles)', async () => {
    const acked: string[] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      const p = startStorage();
      const c = await connect(p);
      await expectAllFound(c, acked);
      let stop = false;
      const writers = Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const key = `c${cycle}-w${w}-${i}`;
          try {
            await put(c, key, key);
            acked.push(key);
          } catch {
            return; // the process died: this write is not acked
          }
        }
      });
      await new Promise((r) => setTimeout(r, 150 + cycle * 100));
      p.child.kill('SIGKILL');
      await p.exited;
      stop = true;
      await Promise.all(writers);
      c.close();
    }
    expect(acked.length).toBeGreaterThan(0);
    const last = startStorage();
    const c = await connect(last);
    await expectAllFound(c, acked);
  });

  it('flushes under load with a small --memtable-size, trims the log, and loses no acked write to SIGKILL', async () => {
    const dataDir = join(tmp.dir, 's1');
    const acked: string[] = [];
    const sstCount = (): number => {
      try {
        return readdirSync(join(dataDir, 'sst')).filter((n) => n.endsWith('.sst')).length;
      } catch {
        return 0;
      }
    };
    for (let cycle = 0; cycle < 2; cycle++) {
      // Compaction far away: this test counts the tables the flushes leave (a compaction would merge them).
      const p = startStorage(dataDir, ['--memtable-size', '64KiB', '--l0-compaction-trigger', '1000']);
      const c = await connect(p);
      await expectAllFound(c, acked);
      const tablesBefore = sstCount();
      let stop = false;
      const writers = Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const key = `f${cycle}-w${w}-${i}`;
          try {
            await put(c, key, `${key}-${'x'.repeat(100)}`);
            acked.push(key);
          } catch {
            return; // the process died: this write is not acked
          }
        }
      });
      // Kill once this run has flushed at least twice (while writes are still in flight).
      const until = Date.now() + 20_000;
      while (sstCount() < tablesBefore + 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(sstCount()).toBeGreaterThanOrEqual(tablesBefore + 2);
      p.child.kill('SIGKILL');
      await p.exited;
      stop = true;
      await Promise.all(writers);
      c.close();
    }
    const last = startStorage(dataDir, ['--memtable-size', '64KiB', '--l0-compaction-trigger', '1000']);
    const c = await connect(last);
    await expectAllFound(c, acked);
    // Flushed segments are trimmed: only the unflushed ones (≤ 2 at the kill) and the new one remain. The restart
    // may itself flush the replayed memtable (and trim after it), so wait for the count to settle.
    const segments = (): number => readdirSync(join(dataDir, 'commitlog')).filter((n) => n.endsWith('.log')).length;
    const settle = Date.now() + 10_000;
    while (segments() > 3 && Date.now() < settle) await new Promise((r) => setTimeout(r, 10));
    expect(segments()).toBeLessThanOrEqual(3);
    // Each cycle committed at least its first table (the second is written only after the first EDIT); a table
    // published but not yet committed at the kill is an orphan the restart deletes.
    expect(sstCount()).toBeGreaterThanOrEqual(2);
  });

  it('refuses to start on commit-log corruption with exit 7 and CORRUPT_FILE', async () => {
    const dataDir = join(tmp.dir, 's1');
    // No flush on shutdown: the records must stay in the commit log for this test to corrupt them.
    const p = startStorage(dataDir, ['--flush-on-shutdown', 'false']);
    const c = await connect(p);
    await put(c, 'a', 'first');
    await put(c, 'b', 'second');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const dir = join(dataDir, 'commitlog');
    const segment = join(dir, readdirSync(dir).sort()[0]!);
    const buf = readFileSync(segment);
    const first = readRecordAt(buf, HEADER_SIZE)!;
    expect(readRecordAt(buf, first.end)).toBeDefined(); // a durable record follows
    buf[first.offset + RECORD_HEADER_SIZE + 10] ^= 0xff;
    writeFileSync(segment, buf);
    const again = startStorage(dataDir);
    expect(await again.exited).toBe(7);
    expect(again.stderr.some((l) => l.startsWith('pairdb: error: CORRUPT_FILE:'))).toBe(true);
  });

  it('exits 74 when a commit-log fdatasync fails (EIO under the real process), never acks that write, and restarts with every acked write', async () => {
    const dataDir = join(tmp.dir, 's1');
    // test/fixtures/fdatasync-eio.mjs fails the next segment fdatasync once this file exists (§0, §11.11).
    const marker = join(tmp.dir, 'fail-the-next-fdatasync');
    const p = startStorage(dataDir, [], { args: ['--import', PRELOAD_EIO], env: { PAIRDB_FAULT_FDATASYNC_MARKER: marker } });
    const c = await connect(p);
    const acked = ['e1', 'e2', 'e3'];
    for (const k of acked) await put(c, k, k);
    writeFileSync(marker, '');
    const err = await put(c, 'e4', 'e4').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the write whose fdatasync failed must not be acknowledged').toBeInstanceOf(Error);
    expect(await p.exited).toBe(74);
    expect(p.stderr.some((l) => l.includes('"level":60') && l.includes('storage I/O error; exiting'))).toBe(true);
    // Restarted without the fault: every acknowledged write is there (e4's outcome is unknown: it may be too).
    const again = startStorage(dataDir);
    await expectAllFound(await connect(again), acked);
  });

  it('exits 4 when another live process holds the data dir', async () => {
    const dataDir = join(tmp.dir, 's1');
    const first = startStorage(dataDir);
    await connect(first);
    const second = startStorage(dataDir);
    expect(await second.exited).toBe(4);
    expect(second.stderr.some((l) => l.startsWith('pairdb: error: DATA_DIR_LOCKED:'))).toBe(true);
  });

  it('exits 2 on a bad flag value', async () => {
    const p = startStorage(join(tmp.dir, 's1'), ['--commitlog-sync', 'sometimes']);
    expect(await p.exited).toBe(2);
  });
});
