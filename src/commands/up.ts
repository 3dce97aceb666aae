import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync, writeSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { Agent, request } from 'undici';
import { PairdbError, isErrorCode } from '../core/errors.js';
import { localClusterNodeFlags } from '../core/config/local-cluster-node-flags.js';
import { EXIT } from '../core/exit-codes.js';
import { CoordinatorClient } from '../core/rpc/clients.js';
import { parseIntArg } from './output/args.js';
import { addOutputOptions, contextFor, type CliContext, type CliDeps } from './output/context.js';
import { flag } from './options.js';
import type { UpDisplay, UpReadiness } from './output/printer.js';

/**
 * `pairdb up` (cli-and-ops.md §2.1): a foreground local cluster of real processes (this binary's daemons) on
 * 127.0.0.1: storage nodes, then the coordinator, then the gateway; stopped in the reverse order on Ctrl-C.
 */

export interface UpOptions {
  nodes: number;
  dataDir: string;
  port: number;
  grpcPort: number;
  adminPort: number;
  /** '' skips tenant creation. */
  tenant: string;
  verbose: boolean;
}

/** How long each start stage may take; the whole start normally needs a few seconds. */
const STAGE_TIMEOUT_MS = 30_000;
const POLL_MS = 100;
const LAST_LINES = 20;
const PINO_WARN = 40;

/** `bin/pairdb`, two levels up from both src/commands and dist/commands. */
const BIN_PATH = fileURLToPath(new URL('../../bin/pairdb', import.meta.url));

interface PortUse {
  port: number;
  what: string;
  /** The flag that moves this port, for the hint. */
  flag: string;
}

/** Every port `up` will bind, with the flag that decides it (cli-and-ops.md §2.1 "Ports"). */
export function plannedPorts(o: Pick<UpOptions, 'nodes' | 'port' | 'grpcPort' | 'adminPort'>): PortUse[] {
  const uses: PortUse[] = [
    { port: o.port, what: 'gateway API', flag: '--port' },
    { port: o.adminPort, what: 'gateway admin', flag: '--admin-port' },
    { port: o.grpcPort, what: 'coordinator gRPC', flag: '--grpc-port' },
    { port: o.adminPort + 1, what: 'coordinator admin (--admin-port+1)', flag: '--admin-port' },
  ];
  for (let i = 1; i <= o.nodes; i++) {
    uses.push({ port: o.grpcPort + i, what: `storage s${i} gRPC (--grpc-port+${i})`, flag: '--grpc-port' });
    uses.push({ port: o.adminPort + 1 + i, what: `storage s${i} admin (--admin-port+${1 + i})`, flag: '--admin-port' });
  }
  return uses;
}

/** Ranges and overlaps are usage errors (exit 2), found before anything binds. */
export function checkPortPlan(uses: PortUse[]): void {
  const seen = new Map<number, PortUse>();
  for (const u of uses) {
    if (u.port < 1 || u.port > 65535) {
      throw new PairdbError('USAGE', `${u.what} would be port ${u.port}, outside 1..65535`, { hint: `choose another ${u.flag}` });
    }
    const other = seen.get(u.port);
    if (other) {
      throw new PairdbError('USAGE', `port ${u.port} would serve both ${other.what} and ${u.what}`, {
        hint: `choose ${u.flag} and ${other.flag} so that the ranges do not overlap`,
      });
    }
    seen.set(u.port, u);
  }
}

function portFree(port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(null)));
  });
}

/** A busy port exits 4 with a hint naming the flag, before any child is spawned. */
export async function checkPortsFree(uses: PortUse[]): Promise<void> {
  for (const u of uses) {
    const err = await portFree(u.port);
    if (err) {
      throw new PairdbError('ADDRESS_IN_USE', `port ${u.port} (${u.what}) on 127.0.0.1 is not available (${err.code ?? err.message})`, {
        hint: `another process holds it; stop it or choose another ${u.flag}`,
      });
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `<data-dir>/LOCK` holds our pid (O_EXCL); a dead holder's lock is taken over. */
export function acquireUpLock(dataDir: string, warn: (m: string) => void): () => void {
  const path = `${dataDir}/LOCK`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
        } catch {
          // Already gone.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && pidAlive(holder)) {
        throw new PairdbError('DATA_DIR_LOCKED', `${dataDir} is in use by another pairdb up (pid ${holder})`, {
          hint: 'stop it (Ctrl-C in its terminal) or pass another --data-dir',
        });
      }
      warn(`pairdb up: warning: taking over the stale lock of pid ${Number.isNaN(holder) ? '?' : holder} in ${dataDir}`);
      unlinkSync(path);
    }
  }
  throw new PairdbError('DATA_DIR_LOCKED', `cannot lock ${dataDir}`);
}

interface UpState {
  pid: number;
  started_at: string;
  ready_at: string | null;
  stopped_at: string | null;
  nodes: number;
  tenant: string | null;
  ports: { port: number; grpc_port: number; admin_port: number };
  gateway: { url: string; admin_port: number; pid: number | null };
  coordinator: { node_id: string; address: string; admin_port: number; pid: number | null };
  storage: { node_id: string; address: string; admin_port: number; pid: number | null }[];
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Storage nodes a previous run created: up.json's count, else the `storage/s<i>` folders. */
function previousNodeCount(dataDir: string): number {
  try {
    const prev = JSON.parse(readFileSync(`${dataDir}/up.json`, 'utf8')) as Partial<UpState>;
    if (typeof prev.nodes === 'number') return prev.nodes;
  } catch {
    // No (readable) up.json: fall back to the folders.
  }
  try {
    return readdirSync(`${dataDir}/storage`).filter((d) => /^s\d+$/.test(d)).length;
  } catch {
    return 0;
  }
}

/** The last `pairdb: error: CODE: message` a child printed, so its failure keeps its exit code. */
function childError(lines: string[]): { code: string; message: string } | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^pairdb: error: ([A-Z_]+): (.*)$/.exec(lines[i]!);
    if (m) return { code: m[1]!, message: m[2]! };
  }
  return undefined;
}

/** One daemon child: its process, its log file and the tail of its output. */
class Child {
  readonly name: string;
  readonly tag: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly lines: string[] = [];
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly #log: WriteStream;

  constructor(
    name: string,
    tag: string,
    args: string[],
    logPath: string,
    env: NodeJS.ProcessEnv,
    show: (child: Child, line: string) => void,
    nodeFlags: readonly string[] = [],
  ) {
    this.name = name;
    this.tag = tag;
    this.#log = createWriteStream(logPath, { flags: 'a' });
    // detached: a terminal's Ctrl-C goes to the whole foreground process group; the children must instead be
    // stopped one by one in order (gateway, coordinator, storage), so they get their own group.
    this.proc = spawn(process.execPath, [...nodeFlags, BIN_PATH, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const onLine = (line: string): void => {
      this.#log.write(`${line}\n`);
      this.lines.push(line);
      if (this.lines.length > LAST_LINES) this.lines.shift();
      show(this, line);
    };
    createInterface({ input: this.proc.stdout! }).on('line', onLine);
    createInterface({ input: this.proc.stderr! }).on('line', onLine);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.proc.once('error', (err) => {
        onLine(`pairdb up: cannot start ${name}: ${err.message}`);
        this.exit = { code: 1, signal: null };
        resolve(this.exit);
      });
    });
    // The log stream closes once both pipes have ended (after the exit event).
    this.proc.once('close', () => this.#log.end());
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  get pid(): number | null {
    return this.proc.pid ?? null;
  }

  exitText(): string {
    if (!this.exit) return 'running';
    return this.exit.signal ? `signal ${this.exit.signal}` : `code ${this.exit.code}`;
  }

  /** Graceful stop; resolves with true when the child exited 0. */
  async stop(): Promise<boolean> {
    if (this.running) this.proc.kill('SIGTERM');
    const e = await this.exited;
    return e.code === 0;
  }

  kill(): void {
    if (this.running) this.proc.kill('SIGKILL');
  }
}

class Interrupted extends Error {}

/** The supervisor behind `pairdb up`; `run()` resolves with the exit code once the cluster has stopped. */
export class LocalCluster {
  readonly #o: UpOptions;
  readonly #ctx: CliContext;
  readonly #dataDir: string;
  readonly #storage: Child[] = [];
  #coordinator: Child | undefined;
  #gateway: Child | undefined;
  #state: UpState | undefined;
  #signals = 0;
  #stopping = false;
  #wake: (() => void) | undefined;
  #fatal: PairdbError | undefined;
  readonly #agent = new Agent({ connections: 4 });
  readonly #interrupt = new AbortController();

  constructor(o: UpOptions, ctx: CliContext) {
    this.#o = o;
    this.#ctx = ctx;
    this.#dataDir = resolvePath(o.dataDir);
  }

  async run(): Promise<number> {
    const o = this.#o;
    const dd = this.#dataDir;
    if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 16) throw new PairdbError('USAGE', '--nodes must be 1..16');
    const ports = plannedPorts(o);
    checkPortPlan(ports);
    mkdirSync(`${dd}/logs`, { recursive: true });
    const unlock = acquireUpLock(dd, (m) => this.#ctx.io.stderr.write(`${m}\n`));
    const killAll = (): void => this.#all().forEach((c) => c.kill());
    process.on('exit', killAll);
    const onSignal = (): void => this.#onSignal();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const prev = previousNodeCount(dd);
      if (o.nodes < prev) {
        throw new PairdbError('USAGE', `${dd} holds a cluster of ${prev} storage nodes; --nodes ${o.nodes} would drop some`, {
          hint: `start it with --nodes ${prev}; shrinking is \`pairdb node remove\``,
        });
      }
      await checkPortsFree(ports);
      return await this.#runCluster(prev === 0 && !existsSync(`${dd}/up.json`));
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', killAll);
      await this.#agent.close();
      if (this.#state) {
        this.#state.stopped_at = new Date().toISOString();
        this.#writeState();
      }
      unlock();
    }
  }

  async #runCluster(firstRun: boolean): Promise<number> {
    const o = this.#o;
    const dd = this.#dataDir;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PAIRDB_')));
    this.#state = {
      pid: process.pid,
      started_at: new Date().toISOString(),
      ready_at: null,
      stopped_at: null,
      nodes: o.nodes,
      tenant: o.tenant || null,
      ports: { port: o.port, grpc_port: o.grpcPort, admin_port: o.adminPort },
      gateway: { url: `http://127.0.0.1:${o.port}`, admin_port: o.adminPort, pid: null },
      coordinator: { node_id: 'c1', address: `127.0.0.1:${o.grpcPort}`, admin_port: o.adminPort + 1, pid: null },
      storage: [],
    };
    const show = (c: Child, line: string): void => this.#show(c, line);
    const nodeFlags = localClusterNodeFlags(o.nodes + 2, availableParallelism());
    let tenantCreated: UpDisplay['tenantCreated'] = null;
    try {
      this.#checkInterrupted();
      // 1. Storage nodes, all at once; each is ready once its engine replayed (/readyz).
      for (let i = 1; i <= o.nodes; i++) {
        const id = `s${i}`;
        const args = ['storage', '--node-id', id, '--data-dir', `${dd}/storage/${id}`, '--host', '127.0.0.1', '--port', String(o.grpcPort + i), '--admin-port', String(o.adminPort + 1 + i)];
        const child = new Child(`storage ${id}`, id, args, `${dd}/logs/${id}.log`, env, show, nodeFlags);
        this.#watch(child);
        this.#storage.push(child);
        this.#state.storage.push({ node_id: id, address: `127.0.0.1:${o.grpcPort + i}`, admin_port: o.adminPort + 1 + i, pid: child.pid });
      }
      this.#writeState();
      await Promise.all(this.#storage.map((c, i) => this.#until(c, () => this.#httpOk(`http://127.0.0.1:${o.adminPort + 2 + i}/readyz`))));

      // 2. The coordinator, ready once its gRPC health says SERVING.
      const coordArgs = ['coordinator', '--node-id', 'c1', '--data-dir', `${dd}/coordinator`, '--host', '127.0.0.1', '--port', String(o.grpcPort), '--admin-port', String(o.adminPort + 1)];
      this.#coordinator = new Child('coordinator c1', 'c1', coordArgs, `${dd}/logs/coordinator.log`, env, show, nodeFlags);
      this.#watch(this.#coordinator);
      this.#state.coordinator.pid = this.#coordinator.pid;
      this.#writeState();
      const coord = new CoordinatorClient(`127.0.0.1:${o.grpcPort}`);
      try {
        await this.#until(this.#coordinator, () =>
          coord.healthCheck(this.#callOpts(1000)).then((s) => s === 'SERVING', () => false),
        );
        // 3. Register the nodes the ring lacks (all of them on the first run), then the tenant.
        const fresh = await this.#registerNodes(coord);
        if (o.tenant && (firstRun || fresh)) {
          const rf = Math.min(3, o.nodes);
          try {
            await coord.createTenant({ tenant_id: o.tenant, replication_factor: rf }, this.#callOpts(10_000));
            tenantCreated = { id: o.tenant, rf };
          } catch (err) {
            if (!(err instanceof PairdbError && err.code === 'TENANT_EXISTS')) throw err;
          }
        }
      } finally {
        coord.close();
      }

      // 4. The gateway, ready once /ready answers 200 (it has probed the coordinator).
      const gwArgs = ['gateway', '--host', '127.0.0.1', '--port', String(o.port), '--admin-port', String(o.adminPort), '--coordinators', `127.0.0.1:${o.grpcPort}`];
      this.#gateway = new Child('gateway', 'gateway', gwArgs, `${dd}/logs/gateway.log`, env, show, nodeFlags);
      this.#watch(this.#gateway);
      this.#state.gateway.pid = this.#gateway.pid;
      this.#writeState();
      await this.#until(this.#gateway, () => this.#httpOk(`http://127.0.0.1:${o.port}/ready`));
    } catch (err) {
      const clean = await this.#stopAll();
      if (err instanceof Interrupted) return this.#signals > 1 ? EXIT.INTERRUPTED : clean ? EXIT.OK : EXIT.ERROR;
      throw err;
    }

    this.#state.ready_at = new Date().toISOString();
    this.#writeState();
    this.#printSummary(firstRun, tenantCreated);

    // 5. Serve until Ctrl-C/SIGTERM or the death of the gateway or coordinator.
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      if (this.#stopping || this.#fatal) resolve();
    });
    const clean = await this.#stopAll();
    if (this.#fatal) throw this.#fatal;
    if (this.#signals > 1) return EXIT.INTERRUPTED;
    return clean ? EXIT.OK : EXIT.ERROR;
  }

  /** AddStorageNode for s1..sN not yet in the ring; resolves true when the ring was empty (a new cluster). */
  async #registerNodes(coord: CoordinatorClient): Promise<boolean> {
    const o = this.#o;
    const listed = await coord.listStorageNodes({ include_removed: false }, this.#callOpts(10_000));
    const known = new Map(listed.nodes.map((n) => [n.node_id, n]));
    for (let i = 1; i <= o.nodes; i++) {
      const id = `s${i}`;
      const have = known.get(id);
      if (have) {
        if (have.port !== o.grpcPort + i || have.host !== '127.0.0.1') {
          throw new PairdbError('USAGE', `${id} is registered at ${have.host}:${have.port}, not 127.0.0.1:${o.grpcPort + i}`, {
            hint: `this data dir was created with --grpc-port ${have.port - i}; pass it again`,
          });
        }
        continue;
      }
      // With tenants this is a node_addition migration that streams data to the new node (cluster.md §11).
      const res = await coord.addStorageNode({ node_id: id, host: '127.0.0.1', port: o.grpcPort + i }, this.#callOpts(10_000));
      if (res.migration_id) await this.#awaitMigration(coord, res.migration_id, id);
      if (o.verbose) this.#ctx.io.stderr.write(`pairdb up: registered ${id}\n`);
    }
    return known.size === 0;
  }

  /** On an empty ring the addition completes at once, else once its data streamed; waits like `node add --wait`. */
  async #awaitMigration(coord: CoordinatorClient, migrationId: string, nodeId: string): Promise<void> {
    const deadline = Date.now() + STAGE_TIMEOUT_MS;
    for (;;) {
      this.#checkInterrupted();
      const m = await coord.getMigrationStatus({ migration_id: migrationId }, this.#callOpts(5_000));
      if (m.status === 'MIGRATION_COMPLETED') return;
      if (m.status === 'MIGRATION_FAILED' || m.status === 'MIGRATION_CANCELLED') {
        throw new PairdbError('INTERNAL_ERROR', `adding ${nodeId} failed: ${m.error_message || m.status}`);
      }
      if (Date.now() > deadline) throw new PairdbError('TIMEOUT', `adding ${nodeId} did not complete within ${STAGE_TIMEOUT_MS / 1000} s`);
      await sleep(POLL_MS * 2);
    }
  }

  #callOpts(ms: number): { requestId: string; deadlineMs: number } {
    return { requestId: randomUUID(), deadlineMs: Date.now() + ms };
  }

  async #httpOk(url: string): Promise<boolean> {
    try {
      const res = await request(url, { dispatcher: this.#agent, headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      return res.statusCode === 200;
    } catch {
      return false;
    }
  }

  /** Polls `probe` until it holds; the child dying, a signal or the stage timeout end the wait. */
  async #until(child: Child, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + STAGE_TIMEOUT_MS;
    for (;;) {
      this.#checkInterrupted();
      // Any child dying during startup ends it, not only the one being awaited.
      const dead = this.#all().find((c) => !c.running);
      if (dead) throw this.#deathError(dead, 'during startup', true);
      if (await probe()) {
        if (this.#o.verbose) this.#ctx.io.stderr.write(`pairdb up: ${child.name} ready\n`);
        return;
      }
      if (Date.now() > deadline) {
        this.#printTail(child, `${child.name} was not ready within ${STAGE_TIMEOUT_MS / 1000} s`);
        throw new PairdbError('TIMEOUT', `${child.name} was not ready within ${STAGE_TIMEOUT_MS / 1000} s`, {
          hint: `see ${this.#logsShown()}`,
        });
      }
      await sleep(POLL_MS);
    }
  }

  #checkInterrupted(): void {
    if (this.#interrupt.signal.aborted) throw new Interrupted();
  }

  /**
   * A dead child's failure. At startup it keeps the code the child printed (DATA_DIR_LOCKED, ADDRESS_IN_USE → exit
   * 4; CORRUPT_FILE → 7); later deaths are exit 1 (cli-and-ops.md §2.1).
   */
  #deathError(child: Child, when: string, keepCode = false): PairdbError {
    this.#printTail(child, `${child.name} exited (${child.exitText()}) ${when}`);
    const printed = childError(child.lines);
    if (keepCode && printed && isErrorCode(printed.code)) {
      return new PairdbError(printed.code, `${child.name}: ${printed.message}`, { hint: `see ${this.#logsShown()}` });
    }
    return new PairdbError('INTERNAL_ERROR', `${child.name} exited (${child.exitText()}) ${when}`, { hint: `see ${this.#logsShown()}` });
  }

  /** After startup: a dead storage node degrades the cluster; a dead gateway or coordinator ends it (exit 1). */
  #watch(child: Child): void {
    void child.exited.then(() => {
      if (this.#stopping || this.#state?.ready_at === null) return;
      if (this.#storage.includes(child)) {
        this.#printTail(child, `${child.name} exited unexpectedly (${child.exitText()}); the cluster keeps running degraded`);
        return;
      }
      this.#fatal = this.#deathError(child, 'unexpectedly');
      this.#wake?.();
    });
  }

  #onSignal(): void {
    this.#signals++;
    if (this.#signals === 1) {
      this.#stopping = true;
      this.#interrupt.abort();
      this.#ctx.io.stderr.write('pairdb up: stopping the cluster (Ctrl-C again to kill it)\n');
      this.#wake?.();
      return;
    }
    // Second signal: no more waiting (cli-and-ops.md §2.1).
    for (const c of this.#all()) c.kill();
  }

  /** SIGTERM in order: gateway, coordinator, then the storage nodes; resolves true if all exited 0. */
  async #stopAll(): Promise<boolean> {
    this.#stopping = true;
    let clean = true;
    for (const c of [this.#gateway, this.#coordinator]) {
      if (c && c.running) clean = (await c.stop()) && clean;
    }
    const running = this.#storage.filter((c) => c.running);
    const results = await Promise.all(running.map((c) => c.stop()));
    return clean && results.every(Boolean);
  }

  #all(): Child[] {
    return [this.#gateway, this.#coordinator, ...this.#storage].filter((c): c is Child => c !== undefined);
  }

  /** Child output goes to its log file; warn/error lines (all with --verbose) also to the terminal. */
  #show(child: Child, line: string): void {
    let level = 50;
    let text = line;
    if (line.startsWith('{')) {
      try {
        const rec = JSON.parse(line) as { level?: number; msg?: string };
        level = typeof rec.level === 'number' ? rec.level : 30;
        text = `${levelName(level)} ${rec.msg ?? line}`;
      } catch {
        // A partial or foreign line: show it as is.
      }
    }
    if (this.#o.verbose || level >= PINO_WARN) this.#ctx.io.stderr.write(`[${child.tag}] ${text}\n`);
  }

  #printTail(child: Child, headline: string): void {
    const err = this.#ctx.io.stderr;
    err.write(`pairdb up: ${headline}; last lines of ${this.#logsShown()}/${child.tag === 'c1' ? 'coordinator' : child.tag}.log:\n`);
    for (const l of child.lines.slice(-10)) err.write(`  ${l}\n`);
  }

  #logsShown(): string {
    return `${this.#o.dataDir.replace(/\/+$/, '')}/logs`;
  }

  #writeState(): void {
    if (this.#state) writeJsonAtomic(`${this.#dataDir}/up.json`, this.#state);
  }

  #printSummary(firstRun: boolean, tenantCreated: UpDisplay['tenantCreated']): void {
    const o = this.#o;
    const st = this.#state!;
    const readiness: UpReadiness = {
      gateway_url: st.gateway.url,
      coordinator: st.coordinator.address,
      storage: st.storage.map((s) => ({ node_id: s.node_id, address: s.address })),
      tenant: o.tenant || null,
      data_dir: this.#dataDir,
    };
    const display: UpDisplay = {
      dataDirShown: o.dataDir,
      newCluster: firstRun,
      storageGrpcPorts: st.storage.map((_s, i) => o.grpcPort + 1 + i),
      storageAdminPorts: st.storage.map((s) => s.admin_port),
      coordinatorAdminPort: o.adminPort + 1,
      gatewayAdminPort: o.adminPort,
      tenantCreated,
      logsDirShown: this.#logsShown(),
    };
    this.#ctx.printer.up(readiness, display);
  }
}

function levelName(level: number): string {
  return level >= 60 ? 'FATAL' : level >= 50 ? 'ERROR' : level >= 40 ? 'WARN' : level >= 30 ? 'INFO' : 'DEBUG';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `pairdb up [--nodes 3] [--data-dir ./.pairdb] [--port 8080] [--grpc-port 50051] [--admin-port 9100] [--tenant demo] [--verbose]` */
export function upCommand(deps: CliDeps): Command {
  const cmd = new Command('up')
    .description('run a local cluster in the foreground: 1 gateway, 1 coordinator, N storage nodes (Ctrl-C stops it)')
    .addOption(flag('--nodes <n>', 'storage nodes 1..16', '3'))
    .addOption(flag('--data-dir <dir>', 'cluster data, logs and up.json', './.pairdb'))
    .addOption(flag('--port <port>', 'gateway HTTP API port', '8080'))
    .addOption(flag('--grpc-port <port>', 'coordinator gRPC port; storage node i uses it + i', '50051'))
    .addOption(flag('--admin-port <port>', 'gateway admin port; coordinator +1, storage node i +1+i', '9100'))
    .addOption(flag('--tenant <id>', "tenant created on the first run ('' skips)", 'demo'))
    .addOption(flag('--verbose', 'show every log line of the daemons'));
  addOutputOptions(cmd);
  cmd.action(async (_o: object, c: Command) => {
    const f = c.opts<{ nodes: string; dataDir: string; port: string; grpcPort: string; adminPort: string; tenant: string; verbose?: boolean }>();
    const opts: UpOptions = {
      nodes: parseIntArg(f.nodes, '--nodes', 1, 16),
      dataDir: f.dataDir,
      port: parseIntArg(f.port, '--port', 1, 65535),
      grpcPort: parseIntArg(f.grpcPort, '--grpc-port', 1, 65535),
      adminPort: parseIntArg(f.adminPort, '--admin-port', 1, 65535),
      tenant: f.tenant,
      verbose: f.verbose === true,
    };
    const ctx = contextFor(deps, c);
    process.exitCode = await new LocalCluster(opts, ctx).run();
  });
  return cmd;
}
