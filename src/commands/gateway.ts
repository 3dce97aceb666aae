import { Command } from 'commander';
import { parseDuration, parsePort, parseSize } from '../core/config/units.js';
import { PairdbError } from '../core/errors.js';
import { createLogger, type LogLevel } from '../core/observability/logger.js';
import { GATEWAY_DEFAULTS, GatewayDaemon, isLoopbackHost, type AuthMode, type GatewayConfig } from '../daemons/gateway.js';
import { flag } from './options.js';
import { runDaemon } from './run-daemon.js';

/** Flag values as commander hands them over (strings; `insecure` a boolean). */
interface GatewayFlags {
  host: string;
  port: string;
  adminPort: string;
  coordinators: string;
  rateLimit: string;
  rateLimitWrites: string;
  rateLimitReads: string;
  coordinatorTimeout: string;
  coordinatorRetries: string;
  requestTimeout: string;
  headersTimeout: string;
  keepAliveTimeout: string;
  maxBodyBytes: string;
  shutdownTimeout: string;
  tenantCacheTtl: string;
  slowRequest: string;
  insecure?: boolean | string;
  authMode?: string;
  logLevel: string;
}

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/** Booleans of cli-and-ops.md §1: true|false|1|0. */
export function parseBool(v: string | boolean | undefined, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === undefined) return false;
  switch (v.trim().toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      throw new PairdbError('USAGE', `invalid ${what} ${JSON.stringify(v)} (use true, false, 1 or 0)`);
  }
}

function parseCount(v: string, what: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw new PairdbError('USAGE', `invalid ${what} ${JSON.stringify(v)} (${min}..${max})`);
  return n;
}

function parseCoordinators(v: string): string[] {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0) throw new PairdbError('USAGE', '--coordinators needs at least one host:port');
  for (const a of list) {
    const colon = a.lastIndexOf(':');
    if (colon <= 0) throw new PairdbError('USAGE', `invalid coordinator address ${JSON.stringify(a)} (use host:port)`);
    parsePort(a.slice(colon + 1), `port in ${a}`, false);
  }
  return list;
}

/**
 * Auth mode (http-api.md §2.1): `none` by default on loopback, `token` otherwise. `--insecure` without an explicit
 * mode means `none` on a non-loopback listener: that is the only thing the flag is for.
 */
function resolveAuthMode(mode: string | undefined, host: string, insecure: boolean): AuthMode {
  if (mode === undefined || mode === '') return isLoopbackHost(host) || insecure ? 'none' : 'token';
  if (mode === 'none' || mode === 'token') return mode;
  throw new PairdbError('USAGE', `invalid --auth-mode ${JSON.stringify(mode)} (none or token)`);
}

/** Turns the flags into a GatewayConfig (USAGE errors for bad values). */
export function gatewayConfigFromFlags(f: GatewayFlags): GatewayConfig {
  const insecure = parseBool(f.insecure, '--insecure');
  const adminPort = parsePort(f.adminPort, '--admin-port');
  return {
    ...GATEWAY_DEFAULTS,
    host: f.host,
    port: parsePort(f.port, '--port'),
    // admin-port 0 = off (cli-and-ops.md §4)
    adminPort: adminPort === 0 ? null : adminPort,
    coordinators: parseCoordinators(f.coordinators),
    rateLimit: parseBool(f.rateLimit, '--rate-limit'),
    rateLimitWrites: parseCount(f.rateLimitWrites, '--rate-limit-writes', 1, 10_000_000),
    rateLimitReads: parseCount(f.rateLimitReads, '--rate-limit-reads', 1, 10_000_000),
    coordinatorTimeoutMs: parseDuration(f.coordinatorTimeout, '--coordinator-timeout'),
    coordinatorRetries: parseCount(f.coordinatorRetries, '--coordinator-retries', 0, 64),
    requestTimeoutMs: parseDuration(f.requestTimeout, '--request-timeout'),
    headersTimeoutMs: parseDuration(f.headersTimeout, '--headers-timeout'),
    keepAliveTimeoutMs: parseDuration(f.keepAliveTimeout, '--keep-alive-timeout'),
    maxBodyBytes: parseSize(f.maxBodyBytes, '--max-body-bytes'),
    shutdownTimeoutMs: parseDuration(f.shutdownTimeout, '--shutdown-timeout'),
    tenantCacheTtlMs: parseDuration(f.tenantCacheTtl, '--tenant-cache-ttl'),
    slowRequestMs: parseDuration(f.slowRequest, '--slow-request'),
    authMode: resolveAuthMode(f.authMode, f.host, insecure),
    insecure,
  };
}

/** `pairdb gateway [flags]`: the HTTP/JSON API daemon (cli-and-ops.md §2.2, §4). */
export function gatewayCommand(): Command {
  return new Command('gateway')
    .description('run the HTTP/JSON API gateway in the foreground (logs on stderr)')
    .addOption(flag('--host <host>', 'bind address', GATEWAY_DEFAULTS.host))
    .addOption(flag('--port <port>', 'HTTP API port', String(GATEWAY_DEFAULTS.port)))
    .addOption(flag('--admin-port <port>', 'admin HTTP port (/livez /readyz /metrics); 0 = off', '9100'))
    .addOption(flag('--coordinators <list>', 'coordinator addresses host:port, comma-separated (round-robin)', '127.0.0.1:50051'))
    .addOption(flag('--rate-limit <bool>', 'per-tenant token buckets (true|false)', 'true'))
    .addOption(flag('--rate-limit-writes <n>', 'writes per tenant per minute unless the tenant overrides', '1000'))
    .addOption(flag('--rate-limit-reads <n>', 'reads per tenant per minute unless the tenant overrides', '10000'))
    .addOption(flag('--coordinator-timeout <duration>', 'backend deadline, all attempts together (< request-timeout)', '8s'))
    .addOption(flag('--coordinator-retries <n>', 'other coordinators tried for reads and calls that never reached one', '2'))
    .addOption(flag('--request-timeout <duration>', 'whole request receipt timeout', '10s'))
    .addOption(flag('--headers-timeout <duration>', 'header receipt timeout', '10s'))
    .addOption(flag('--keep-alive-timeout <duration>', 'idle keep-alive connections are closed after this', '5s'))
    .addOption(flag('--max-body-bytes <size>', 'larger request bodies get 413', '2MiB'))
    .addOption(flag('--shutdown-timeout <duration>', 'drain time for in-flight requests on SIGTERM', '30s'))
    .addOption(flag('--tenant-cache-ttl <duration>', 'how long tenant rate limits are cached', '5m'))
    .addOption(flag('--slow-request <duration>', 'requests slower than this are logged at warn', '1s'))
    .addOption(flag('--insecure', 'allow auth mode none on a non-loopback listener'))
    .addOption(flag('--auth-mode <mode>', 'none (default on loopback) or token (not supported yet)'))
    .addOption(flag('--log-level <level>', 'trace|debug|info|warn|error|fatal', 'info'))
    .action(async (f: GatewayFlags) => {
      if (!LOG_LEVELS.has(f.logLevel)) throw new PairdbError('USAGE', `invalid --log-level ${JSON.stringify(f.logLevel)}`);
      const config = gatewayConfigFromFlags(f);
      const log = createLogger('gateway', undefined, f.logLevel as LogLevel);
      process.exitCode = await runDaemon('gateway', new GatewayDaemon(config, log), log);
    });
}
