import { closeSync, existsSync, openSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

/**
 * Shared by the e2e tests of the `pairdb` binary (cli*.test.ts, up*.test.ts): build once, find free port blocks,
 * run the real bin/pairdb, start and stop `pairdb up`.
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'pairdb');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ unless it is newer than every source file (`npm test` builds first). Several test files may ask at
 * once, so the build runs under an O_EXCL lock file and the others wait for it.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(ROOT, 'dist.build-lock');
  const fresh = (): boolean => existsSync(join(ROOT, 'dist', 'cli.js')) && statSync(join(ROOT, 'dist', 'cli.js')).mtimeMs >= newestMtime(join(ROOT, 'src'));
  for (;;) {
    if (fresh()) return;
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      // Someone else is building (or died building: a lock older than 3 minutes is stale).
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 180_000) unlinkSync(lock);
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      // tsc still emits when an unrelated file has type errors; the binary is what these tests exercise.
      await execa('npx', ['tsc', '-p', '.'], { cwd: ROOT, reject: false });
      await execa('node', ['scripts/copy-assets.mjs'], { cwd: ROOT });
      return;
    } finally {
      closeSync(fd);
      unlinkSync(lock);
    }
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export interface UpPorts {
  port: number;
  grpcPort: number;
  adminPort: number;
}

/** Three blocks of free ports laid out as `up` uses them (gateway, coordinator + nodes, admin + 1 + nodes). */
export async function freeUpPorts(nodes: number): Promise<UpPorts> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = { port: base, grpcPort: base + 100, adminPort: base + 200 };
    const all = [ports.port];
    for (let i = 0; i <= nodes; i++) all.push(ports.grpcPort + i, ports.adminPort + i, ports.adminPort + 1 + i);
    let ok = true;
    for (const p of new Set(all)) if (!(await portFree(p))) ok = false;
    if (ok) return ports;
  }
  throw new Error('no free port block found');
}

export function upArgs(dataDir: string, p: UpPorts, extra: string[] = []): string[] {
  return ['up', '--data-dir', dataDir, '--port', String(p.port), '--grpc-port', String(p.grpcPort), '--admin-port', String(p.adminPort), ...extra];
}

/** Runs `pairdb <args>` to completion; never rejects (tests look at exitCode, stdout, stderr). */
export function pairdb(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  // process.execPath + the script, not execaNode: that would pass the test runner's execArgv on to the binary.
  return execa(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    reject: false,
    input: opts.input ?? '',
    env: { NO_COLOR: '1', ...opts.env },
    timeout: 30_000,
  });
}

export interface RunningUp {
  proc: ResultPromise<{ reject: false; cwd: string; buffer: true }>;
  readiness: { gateway_url: string; coordinator: string; storage: { node_id: string; address: string }[]; tenant: string | null; data_dir: string };
  stderr(): string;
}

/**
 * Starts `pairdb up -o json` and resolves with its readiness object once printed. Rejects if `up` exits first or is
 * not ready within `timeoutMs`.
 */
export async function startUp(args: string[], timeoutMs = 30_000): Promise<RunningUp> {
  const proc = execa(process.execPath, [BIN, ...args, '-o', 'json'], { cwd: ROOT, reject: false, buffer: true, env: { NO_COLOR: '1' } });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const readiness = await new Promise<RunningUp['readiness']>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pairdb up not ready within ${timeoutMs} ms; stderr:\n${err}`)), timeoutMs);
    const check = (): void => {
      try {
        const r = JSON.parse(out) as RunningUp['readiness'];
        clearTimeout(timer);
        resolve(r);
      } catch {
        // Not a complete document yet.
      }
    };
    proc.stdout!.on('data', check);
    void proc.then((r) => {
      clearTimeout(timer);
      reject(new Error(`pairdb up exited (${r.exitCode}) before it was ready; stderr:\n${err}`));
    });
  });
  return { proc: proc as RunningUp['proc'], readiness, stderr: () => err };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
