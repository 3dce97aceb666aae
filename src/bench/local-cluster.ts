import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localClusterNodeFlags } from '../core/config/local-cluster-node-flags.js';
import { CoordinatorClient } from '../core/rpc/clients.js';

/**
 * Starts a cluster of real `pairdb` daemon processes on 127.0.0.1 with free ports — for integration tests and
 * benchmarks that need to kill, restart or replace individual daemons (pairdb up is for users).
 */

export const PAIRDB_BIN = fileURLToPath(new URL('../../bin/pairdb', import.meta.url));

export interface DaemonProcess {
  readonly name: string;
  readonly args: readonly string[];
  child: ChildProcess;
  exited: Promise<number | null>;
}

export interface LocalClusterOptions {
  dataDir: string;
  nodes?: number;
  /** `echo` replaces the storage engine with an immediate answer (benchmark baseline). */
  storageEngine?: 'lsm' | 'echo';
  /** Extra flags for the gateway (e.g. rate limits). */
  gatewayArgs?: string[];
  /** Extra flags for every storage node (e.g. `--commitlog-sync periodic`). */
  storageArgs?: string[];
  /** Extra flags for the coordinator (e.g. `--read-repair sync`); restartCoordinator can replace them. */
  coordinatorArgs?: string[];
  /**
   * The port the coordinator registers a storage node at (default: the node's own), e.g. a test's TcpProxy in
   * front of it to delay or cut its traffic.
   */
  registerPort?: (node: StorageNodeHandle) => number | Promise<number>;
  /** Flags for node itself, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS); default: those `pairdb up` uses. */
  nodeArgs?: string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PAIRDB_')) env[k] = v;
  return env;
}

export function spawnDaemon(name: string, args: string[], logDir: string, nodeArgs: readonly string[] = []): DaemonProcess {
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [...nodeArgs, PAIRDB_BIN, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  return { name, args, child, exited };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000, proc?: DaemonProcess): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc && proc.child.exitCode !== null) throw new Error(`${what}: process exited with ${proc.child.exitCode}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not ready within ${timeoutMs} ms`);
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.ok;
}

export interface StorageNodeHandle {
  nodeId: string;
  port: number;
  adminPort: number;
  dataDir: string;
  proc: DaemonProcess;
}

export class LocalCluster {
  readonly storage: StorageNodeHandle[] = [];
  coordinator!: DaemonProcess;
  gateway!: DaemonProcess;
  coordinatorPort = 0;
  gatewayPort = 0;
  readonly #opts: Required<LocalClusterOptions>;

  constructor(opts: LocalClusterOptions) {
    const nodes = opts.nodes ?? 3;
    this.#opts = {
      nodes,
      storageEngine: 'lsm',
      gatewayArgs: [],
      storageArgs: [],
      coordinatorArgs: [],
      registerPort: (n) => n.port,
      nodeArgs: localClusterNodeFlags(nodes + 2, availableParallelism()),
      ...opts,
    };
  }

  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.gatewayPort}`;
  }

  get coordinatorAddress(): string {
    return `127.0.0.1:${this.coordinatorPort}`;
  }

  get logDir(): string {
    return join(this.#opts.dataDir, 'logs');
  }

  /** Starts storage nodes, the coordinator (registering the nodes) and the gateway; resolves when all are ready. */
  async start(): Promise<void> {
    const { dataDir, nodes } = this.#opts;
    for (let i = 1; i <= nodes; i++) {
      const node: StorageNodeHandle = {
        nodeId: `s${i}`,
        port: await freePort(),
        adminPort: await freePort(),
        dataDir: join(dataDir, 'storage', `s${i}`),
        proc: undefined as never,
      };
      node.proc = this.#spawnStorage(node);
      this.storage.push(node);
    }
    await Promise.all(this.storage.map((n) => this.waitStorageReady(n)));
    this.coordinatorPort = await freePort();
    this.#coordinatorAdminPort = await freePort();
    this.coordinator = this.#spawnCoordinator();
    const client = new CoordinatorClient(this.coordinatorAddress);
    try {
      await this.#waitCoordinator(client);
      const listed = await client.listStorageNodes({}, { requestId: '', deadlineMs: Date.now() + 5000 });
      const known = new Set(listed.nodes.map((n) => n.node_id));
      for (const n of this.storage) {
        if (known.has(n.nodeId)) continue;
        const port = await this.#opts.registerPort(n);
        await client.addStorageNode({ node_id: n.nodeId, host: '127.0.0.1', port, virtual_nodes: 150 }, { requestId: '', deadlineMs: Date.now() + 10_000 });
      }
    } finally {
      client.close();
    }
    this.gatewayPort = await freePort();
    const gwAdmin = await freePort();
    this.gateway = spawnDaemon(
      'gateway',
      ['gateway', '--host', '127.0.0.1', '--port', String(this.gatewayPort), '--admin-port', String(gwAdmin), '--coordinators', this.coordinatorAddress, '--log-level', 'warn', ...this.#opts.gatewayArgs],
      this.logDir,
      this.#opts.nodeArgs,
    );
    await waitFor('gateway', () => httpOk(`${this.gatewayUrl}/ready`), 20_000, this.gateway);
  }

  #coordinatorAdminPort = 0;

  /** The coordinator's admin HTTP base (/metrics, /readyz). */
  get coordinatorAdminUrl(): string {
    return `http://127.0.0.1:${this.#coordinatorAdminPort}`;
  }

  #spawnCoordinator(): DaemonProcess {
    return spawnDaemon(
      'coordinator',
      [
        'coordinator',
        '--node-id',
        'c1',
        '--data-dir',
        join(this.#opts.dataDir, 'coordinator'),
        '--host',
        '127.0.0.1',
        '--port',
        String(this.coordinatorPort),
        '--admin-port',
        String(this.#coordinatorAdminPort),
        '--log-level',
        'warn',
        ...this.#opts.coordinatorArgs,
      ],
      this.logDir,
      this.#opts.nodeArgs,
    );
  }

  #waitCoordinator(client: CoordinatorClient): Promise<void> {
    return waitFor('coordinator', async () => (await client.healthCheck({ requestId: '', deadlineMs: Date.now() + 1000 })) === 'SERVING', 20_000, this.coordinator);
  }

  /** Sends `signal` to the coordinator and waits for it to exit. */
  async killCoordinator(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    this.coordinator.child.kill(signal);
    return this.coordinator.exited;
  }

  /**
   * Starts the coordinator again on the same ports and data dir, and waits until it serves; `coordinatorArgs`
   * replaces its extra flags from now on.
   */
  async restartCoordinator(coordinatorArgs?: string[]): Promise<void> {
    if (coordinatorArgs) this.#opts.coordinatorArgs = coordinatorArgs;
    this.coordinator = this.#spawnCoordinator();
    const client = new CoordinatorClient(this.coordinatorAddress);
    try {
      await this.#waitCoordinator(client);
    } finally {
      client.close();
    }
  }

  #spawnStorage(n: StorageNodeHandle): DaemonProcess {
    const args = ['storage', '--node-id', n.nodeId, '--data-dir', n.dataDir, '--host', '127.0.0.1', '--port', String(n.port), '--admin-port', String(n.adminPort), '--log-level', 'warn'];
    if (this.#opts.storageEngine === 'echo') args.push('--engine', 'echo');
    args.push(...this.#opts.storageArgs);
    return spawnDaemon(`storage-${n.nodeId}`, args, this.logDir, this.#opts.nodeArgs);
  }

  waitStorageReady(n: StorageNodeHandle): Promise<void> {
    return waitFor(`storage ${n.nodeId}`, () => httpOk(`http://127.0.0.1:${n.adminPort}/readyz`), 20_000, n.proc);
  }

  /**
   * Starts one more storage node (not registered with the coordinator: `pairdb node add` or AddStorageNode does that);
   * resolves with its index once it is ready.
   */
  async startExtraStorage(nodeId: string): Promise<number> {
    const node: StorageNodeHandle = {
      nodeId,
      port: await freePort(),
      adminPort: await freePort(),
      dataDir: join(this.#opts.dataDir, 'storage', nodeId),
      proc: undefined as never,
    };
    node.proc = this.#spawnStorage(node);
    this.storage.push(node);
    await this.waitStorageReady(node);
    return this.storage.length - 1;
  }

  /** Sends `signal` to storage node i (0-based) and waits for it to exit. */
  async killStorage(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const n = this.storage[i]!;
    n.proc.child.kill(signal);
    return n.proc.exited;
  }

  /** Starts storage node i again on the same ports and data dir, and waits until it is ready. */
  async restartStorage(i: number): Promise<void> {
    const n = this.storage[i]!;
    n.proc = this.#spawnStorage(n);
    await this.waitStorageReady(n);
  }

  /** SIGTERM to gateway, coordinator, then storage nodes (each awaited); SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<Array<number | null>> {
    const order = [this.gateway, this.coordinator, ...this.storage.map((s) => s.proc)].filter(Boolean);
    const codes: Array<number | null> = [];
    for (const p of order) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        codes.push(p.child.exitCode);
        continue;
      }
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
      codes.push(await p.exited);
      clearTimeout(timer);
    }
    return codes;
  }
}
