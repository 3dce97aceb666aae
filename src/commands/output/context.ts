import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { pino, type Logger } from 'pino';
import { PairdbError } from '../../core/errors.js';
import { parseDuration } from '../../core/config/units.js';
import { GatewayClient, type GatewayClientOptions } from '../../core/client/gateway-client.js';
import { CoordinatorClient } from '../../core/rpc/clients.js';
import { flag } from '../options.js';
import { printerFor, type Printer } from './printer.js';

/**
 * What every client command shares (cli-and-ops.md §1): the client flags, the output format, the streams and the
 * clients. Commands get a CliContext and stay thin: parse → client → printer.
 */

export type OutputFormat = 'table' | 'json' | 'ndjson' | 'simple';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'ndjson', 'simple'];

export interface Sink {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** The process streams, injectable so tests run commands without a terminal. */
export interface CliIO {
  stdout: Sink;
  stderr: Sink;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** The gateway calls the CLI makes; tests replace the implementation. */
export type GatewayApi = Pick<
  GatewayClient,
  | 'put'
  | 'get'
  | 'delete'
  | 'createTenant'
  | 'getTenant'
  | 'listTenants'
  | 'updateTenant'
  | 'updateReplicationFactor'
  | 'listNodes'
  | 'addNode'
  | 'removeNode'
  | 'getMigration'
  | 'close'
>;

/** The coordinator calls the CLI makes over gRPC (`status`). */
export type CoordinatorApi = Pick<CoordinatorClient, 'clusterStatus' | 'repair' | 'close'>;

export interface CliDeps {
  io: CliIO;
  gateway(opts: GatewayClientOptions): GatewayApi;
  coordinator(address: string): CoordinatorApi;
}

export function defaultDeps(): CliDeps {
  return {
    io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env },
    gateway: (opts) => new GatewayClient(opts),
    coordinator: (address) => new CoordinatorClient(address),
  };
}

/** Parsed client flags (commander camelCases them). */
export interface ClientFlags {
  url?: string;
  tenant?: string;
  token?: string;
  tokenFile?: string;
  coordinator?: string;
  timeout?: string;
  output?: string;
  color?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

const CLIENT_GROUP = 'Client options:';

/** Output/diagnostic flags every non-daemon command takes, `up` included. */
export function addOutputOptions(cmd: Command): Command {
  const output = flag('-o, --output <format>', 'output format: table|json|ndjson|simple (default: table on a TTY, else json)')
    .choices(OUTPUT_FORMATS as string[])
    .helpGroup(CLIENT_GROUP);
  // --color / --no-color: PAIRDB_COLOR and NO_COLOR are read in colorEnabled(), as commander's boolean env
  // handling would treat PAIRDB_COLOR=0 as "on".
  cmd.addOption(output);
  cmd.addOption(new Option('--color', 'force colour').helpGroup(CLIENT_GROUP));
  cmd.addOption(new Option('--no-color', 'no colour (also NO_COLOR=1)').helpGroup(CLIENT_GROUP));
  cmd.addOption(flag('-q, --quiet', 'no progress or notes').helpGroup(CLIENT_GROUP));
  cmd.addOption(flag('--debug', 'diagnostics (JSON) on stderr, stacks on errors').helpGroup(CLIENT_GROUP));
  return cmd;
}

/** The full client flag table of cli-and-ops.md §1. `tenant` is left out where a command has its own. */
export function addClientOptions(cmd: Command, opts: { tenant?: boolean } = {}): Command {
  cmd.addOption(flag('--url <url>', 'gateway URL', 'http://127.0.0.1:8080').helpGroup(CLIENT_GROUP));
  if (opts.tenant !== false) cmd.addOption(flag('--tenant <id>', 'tenant of data commands').helpGroup(CLIENT_GROUP));
  cmd.addOption(flag('--token <jwt>', 'bearer token (prefer PAIRDB_TOKEN or --token-file)').helpGroup(CLIENT_GROUP));
  cmd.addOption(flag('--token-file <file>', 'file holding the bearer token').helpGroup(CLIENT_GROUP));
  cmd.addOption(flag('--coordinator <host:port>', 'coordinator gRPC address (status)', '127.0.0.1:50051').helpGroup(CLIENT_GROUP));
  cmd.addOption(flag('--timeout <duration>', 'per-request timeout', '10s').helpGroup(CLIENT_GROUP));
  return addOutputOptions(cmd);
}

/** `table` on a TTY stdout, else `json` (cli-and-ops.md §1). */
export function resolveFormat(output: string | undefined, stdoutIsTTY: boolean): OutputFormat {
  if (output !== undefined && (OUTPUT_FORMATS as string[]).includes(output)) return output as OutputFormat;
  return stdoutIsTTY ? 'table' : 'json';
}

/**
 * Colour only on a TTY, with NO_COLOR unset or empty and no `--no-color`/`PAIRDB_COLOR=false`; `--color` forces.
 * Never for json/ndjson/simple output.
 */
export function colorEnabled(flags: ClientFlags, format: OutputFormat, io: CliIO, colorSource?: string): boolean {
  if (format !== 'table') return false;
  if (colorSource === 'cli') return flags.color === true;
  const env = io.env.PAIRDB_COLOR;
  if (env !== undefined && env !== '') return ['1', 'true', 'yes', 'on'].includes(env.toLowerCase());
  if (io.env.NO_COLOR) return false;
  return io.stdout.isTTY === true;
}

/** Per-invocation state of a client command. */
export class CliContext {
  readonly io: CliIO;
  readonly flags: ClientFlags;
  readonly format: OutputFormat;
  readonly printer: Printer;
  readonly log: Logger | undefined;
  readonly #deps: CliDeps;
  readonly #closers: (() => unknown)[] = [];

  constructor(deps: CliDeps, flags: ClientFlags, format: OutputFormat, color: boolean) {
    this.#deps = deps;
    this.io = deps.io;
    this.flags = flags;
    this.format = format;
    this.log = flags.debug
      ? pino(
          { level: 'debug', base: { daemon: 'cli', pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
          { write: (s: string) => deps.io.stderr.write(s) },
        )
      : undefined;
    this.printer = printerFor(format, {
      stdout: deps.io.stdout,
      note: (m) => this.note(m),
      color,
      tty: deps.io.stdout.isTTY === true,
    });
  }

  get timeoutMs(): number {
    return parseDuration(this.flags.timeout ?? '10s', '--timeout');
  }

  /** A `note:` line on stderr, unless `-q`. */
  note(message: string): void {
    if (!this.flags.quiet) this.io.stderr.write(`${message}\n`);
  }

  /** The tenant of a data command; missing → USAGE (exit 2). */
  tenant(): string {
    const t = this.flags.tenant;
    if (!t) throw new PairdbError('USAGE', 'no tenant given', { hint: 'pass --tenant <id> or set PAIRDB_TENANT' });
    return t;
  }

  gateway(): GatewayApi {
    const client = this.#deps.gateway({
      url: this.flags.url ?? 'http://127.0.0.1:8080',
      timeoutMs: this.timeoutMs,
      token: this.#token(),
      onCall: this.log
        ? (e) =>
            this.log!.debug(
              { method: e.method, path: e.path, status: e.status, duration_ms: Math.round(e.durationMs * 10) / 10, req_id: e.requestId, error_code: e.errorCode },
              'gateway call',
            )
        : undefined,
    });
    this.#closers.push(() => client.close());
    return client;
  }

  coordinator(): CoordinatorApi {
    const client = this.#deps.coordinator(this.flags.coordinator ?? '127.0.0.1:50051');
    this.#closers.push(() => client.close());
    return client;
  }

  /** Releases sockets and channels so the process can exit. */
  async close(): Promise<void> {
    for (const c of this.#closers.splice(0)) {
      try {
        await c();
      } catch {
        // Closing is best effort: the command already produced its result.
      }
    }
  }

  #token(): string | undefined {
    if (this.flags.token) return this.flags.token;
    if (this.flags.tokenFile) {
      try {
        return readFileSync(this.flags.tokenFile, 'utf8').trim();
      } catch (err) {
        throw new PairdbError('FILE_NOT_FOUND', `cannot read --token-file ${this.flags.tokenFile}`, { cause: err });
      }
    }
    return undefined;
  }
}

/** Builds the context of the command being run from its parsed flags. */
export function contextFor(deps: CliDeps, cmd: Command): CliContext {
  const flags = { ...cmd.opts<ClientFlags>() };
  // commander turns any value of a boolean flag's env var on; cli-and-ops.md §1 booleans are true|false|1|0.
  for (const [key, env] of [['quiet', 'PAIRDB_QUIET'], ['debug', 'PAIRDB_DEBUG']] as const) {
    if (cmd.getOptionValueSource(key) === 'env') flags[key] = ['1', 'true', 'yes', 'on'].includes((process.env[env] ?? '').toLowerCase());
  }
  const format = resolveFormat(flags.output, deps.io.stdout.isTTY === true);
  const color = colorEnabled(flags, format, deps.io, cmd.getOptionValueSource('color'));
  return new CliContext(deps, flags, format, color);
}

/** Runs a command body with a context and always closes its clients. */
export async function withContext(deps: CliDeps, cmd: Command, body: (ctx: CliContext) => Promise<void>): Promise<void> {
  const ctx = contextFor(deps, cmd);
  try {
    await body(ctx);
  } finally {
    await ctx.close();
  }
}
