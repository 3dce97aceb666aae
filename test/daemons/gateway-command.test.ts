import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { gatewayCommand, gatewayConfigFromFlags } from '../../src/commands/gateway.js';
import { GATEWAY_DEFAULTS } from '../../src/daemons/gateway.js';
import { PairdbError } from '../../src/core/errors.js';
import { http, unusedPort } from '../core/http/http-client.js';

/** `pairdb gateway`: flag parsing, and the built binary as a real process (needs `npm run build`). */

const BIN = fileURLToPath(new URL('../../bin/pairdb', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** The flag values commander hands over when nothing is given (the declared defaults). */
function defaults(): Record<string, unknown> {
  const cmd = gatewayCommand();
  const out: Record<string, unknown> = {};
  for (const o of cmd.options) out[o.attributeName()] = o.defaultValue;
  return out;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as PairdbError).code;
  }
}

describe('gatewayConfigFromFlags', () => {
  it('turns the declared defaults into the defaults of cli-and-ops.md §4', () => {
    const c = gatewayConfigFromFlags(defaults() as never);
    expect(c).toEqual({ ...GATEWAY_DEFAULTS });
  });

  it('parses units, lists, booleans and admin-port 0 = off', () => {
    const c = gatewayConfigFromFlags({
      ...defaults(),
      coordinators: '127.0.0.1:50051, 10.0.0.2:50051',
      rateLimit: 'false',
      coordinatorTimeout: '2s',
      requestTimeout: '3s',
      maxBodyBytes: '64KiB',
      adminPort: '0',
    } as never);
    expect(c.coordinators).toEqual(['127.0.0.1:50051', '10.0.0.2:50051']);
    expect(c.rateLimit).toBe(false);
    expect(c.coordinatorTimeoutMs).toBe(2000);
    expect(c.requestTimeoutMs).toBe(3000);
    expect(c.maxBodyBytes).toBe(65536);
    expect(c.adminPort).toBeNull();
  });

  it('defaults the auth mode to none on loopback, token elsewhere, none with --insecure', () => {
    expect(gatewayConfigFromFlags({ ...defaults(), host: '127.0.0.1' } as never).authMode).toBe('none');
    expect(gatewayConfigFromFlags({ ...defaults(), host: '0.0.0.0' } as never).authMode).toBe('token');
    expect(gatewayConfigFromFlags({ ...defaults(), host: '0.0.0.0', insecure: true } as never).authMode).toBe('none');
  });

  it('rejects bad values with USAGE', () => {
    for (const bad of [
      { rateLimit: 'maybe' },
      { port: '70000' },
      { coordinators: 'nohostport' },
      { coordinators: ' , ' },
      { rateLimitWrites: '0' },
      { coordinatorTimeout: 'soon' },
      { maxBodyBytes: 'big' },
      { authMode: 'jwt' },
    ]) {
      expect(codeOf(() => gatewayConfigFromFlags({ ...defaults(), ...bad } as never)), JSON.stringify(bad)).toBe('USAGE');
    }
  });
});

describe('pairdb gateway (built binary)', () => {
  it('is built (run `npm run build` first)', () => {
    expect(existsSync(DIST)).toBe(true);
  });

  it('exits 2 naming the listener when asked to serve a non-loopback address without --insecure', async () => {
    const r = await execa(BIN, ['gateway', '--host', '0.0.0.0', '--port', '0', '--admin-port', '0', '--auth-mode', 'none'], {
      reject: false,
      timeout: 20_000,
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('pairdb: error: USAGE:');
    expect(r.stderr).toContain('0.0.0.0:0');
  });

  it('starts, serves /health, and exits 0 on SIGTERM', async () => {
    const coordinator = `127.0.0.1:${await unusedPort()}`;
    const child = execa(BIN, ['gateway', '--port', '0', '--admin-port', '0', '--coordinators', coordinator], {
      reject: false,
      timeout: 30_000,
    });
    const url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stderr!.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(buf);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`gateway exited early: ${buf}`)));
    });
    const port = Number(new URL(url).port);
    const health = await http(port, 'GET', '/health');
    expect(health.status).toBe(200);
    expect((await http(port, 'GET', '/ready')).status).toBe(503);
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('received SIGTERM; shutting down');
  });
});
