import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CoordinatorClient } from '../../src/core/rpc/clients.js';

/** `pairdb coordinator` as a real process from the built bin/pairdb (run `npm run build` first; `npm test` does). */

const BIN = fileURLToPath(new URL('../../bin/pairdb', import.meta.url));

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PAIRDB_')) env[k] = v;
  return env;
}

interface Proc {
  exited: Promise<{ code: number | null; stderr: string }>;
  stderr: () => string;
  kill: (s: NodeJS.Signals) => void;
}

function run(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    exited: new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr }))),
    stderr: () => stderr,
    kill: (s) => child.kill(s),
  };
}

describe('pairdb coordinator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pairdb-coord-cmd-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 without --data-dir', async () => {
    const { code, stderr } = await run(['coordinator', '--port', '0', '--admin-port', '0']).exited;
    expect(code).toBe(2);
    expect(stderr).toContain('USAGE');
  });

  it('exits 2 when --repair-interval is not below gc-grace (10d) or not a duration', async () => {
    for (const bad of ['10d', '11d', 'soon']) {
      const { code, stderr } = await run(['coordinator', '--data-dir', join(dir, 'ri'), '--port', '0', '--admin-port', '0', '--repair-interval', bad]).exited;
      expect(code, bad).toBe(2);
      expect(stderr).toContain('USAGE');
    }
  });

  it('serves gRPC health, refuses a second coordinator on its data dir with exit 4, and exits 0 on SIGTERM', async () => {
    const first = run(['coordinator', '--data-dir', dir, '--port', '0', '--admin-port', '0', '--log-level', 'info']);
    let line: string | undefined;
    for (let i = 0; i < 400 && !line; i++) {
      line = first.stderr().split('\n').find((l) => l.includes('coordinator listening'));
      if (!line) await new Promise((r) => setTimeout(r, 25));
    }
    expect(line).toBeDefined();
    const client = new CoordinatorClient(JSON.parse(line!).address as string);
    try {
      expect(await client.healthCheck({ requestId: '', deadlineMs: Date.now() + 5000 })).toBe('SERVING');
    } finally {
      client.close();
    }
    const second = await run(['coordinator', '--data-dir', dir, '--port', '0', '--admin-port', '0']).exited;
    expect(second.code).toBe(4);
    expect(second.stderr).toContain('DATA_DIR_LOCKED');
    first.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
  });
});
