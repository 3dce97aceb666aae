import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { checkHistory, type HistoryOp, type HistoryReport, type HistoryResult } from '../core/cluster/history-checker.js';
import { CoordinatorClient, StorageClient } from '../core/rpc/clients.js';
import { LocalCluster } from './local-cluster.js';
import { prng } from '../core/prng.js';

/**
 * The chaos run of issue 4: a real 3-node cluster (RF 3) under mixed QUORUM puts, gets and deletes from several
 * clients through the gateway, while a random storage node is SIGKILLed and restarted every `killEveryMs` (one
 * down at a time, so quorum stays possible). Afterwards: time until hints are delivered and every replica's
 * RangeDigest is equal (a Repair run only if hints alone do not get there), final reads at ALL, and the history
 * checker (src/core/cluster/history-checker.ts).
 *
 * Workload, so that the checker can decide: every value is unique (`<client>:<seq>`); each client owns keys that
 * only it writes or deletes, one request at a time; a few shared keys get puts from every client (no deletes).
 *
 * Counting: a request is retried (at most `maxAttempts`) after a 503/504 or a lost connection — puts with the same
 * Idempotency-Key, which http-api.md §5 makes safe after any 5xx. One logical operation = one history entry: `ok`
 * if its last attempt succeeded, `unknown` if any attempt may have applied (outcome `unknown`, connection lost),
 * else `fail`. `unknown` counts against the success percentage.
 */

export interface ChaosOptions {
  durationMs: number;
  killEveryMs: number;
  /** How long a killed node stays down before its restart. */
  downMs: number;
  clients: number;
  seed: number;
  keysPerClient: number;
  sharedKeys: number;
  /** Consistency level of workload reads and writes (default quorum; `one` shows the checker catching stale reads). */
  level?: 'one' | 'quorum' | 'all';
  /** Attempts per operation (1 = no retries). */
  maxAttempts?: number;
  /** How long to wait for digests to agree from hints alone before running a repair. */
  convergenceTimeoutMs?: number;
  dataDir?: string;
  keepData?: boolean;
  log?: (line: string) => void;
}

export interface KillEvent {
  node: string;
  killedAtMs: number;
  /** The restarted process is ready. */
  restartedAtMs: number;
  /** The coordinator routes to the node again (its circuit closed), so the next kill leaves a quorum. */
  routedAtMs: number;
}

export interface ConvergenceResult {
  /** max(workload end, last restart): from here on nothing disturbs the replicas. */
  quietAtMs: number;
  lastRestartAtMs: number | null;
  /** ms from the quiet point until the coordinator had no pending hints (null: not within the timeout). */
  hintsDrainedMs: number | null;
  /** ms from the quiet point until all replicas' digests were equal, by hints and read repair alone. */
  digestsEqualMs: number | null;
  /** The same, counted from the last restart (what the issue bounds at 15 s). */
  digestsEqualSinceLastRestartMs: number | null;
  /** Keys (tombstones included) in each replica's digest when last measured. */
  keysPerReplica?: number[];
  /** Only when hints alone did not converge. */
  repair?: { state: string; durationMs: number; digestsEqual: boolean };
}

export interface ChaosResult {
  options: Omit<ChaosOptions, 'log'>;
  startedAt: string;
  wallMs: number;
  kills: KillEvent[];
  convergence: ConvergenceResult;
  report: HistoryReport;
  /** Workload operations started while a node was down (from its kill until the coordinator routed to it again). */
  opsDuringOutages: number;
  /** Non-ok answers by `op status error_code` (every attempt, retried or not). */
  errors: Record<string, number>;
  /** The first few messages (with outcome) of each kind of non-ok answer. */
  errorSamples: Record<string, string[]>;
  /** Reasons the run fails the bar; empty = passed. */
  failures: string[];
}

const TENANT = 'chaos';
const CONVERGENCE_LIMIT_MS = 15_000;
const MIN_OK_PERCENT = 99;


const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

interface Answer {
  status: number;
  body: { error_code?: string; outcome?: string; value?: unknown } | undefined;
  retryAfterMs: number;
}

async function send(pool: Pool, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await pool.request({
    method,
    path,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  const retryAfter = Number(res.headers['retry-after']);
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined, retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : 0 };
}

type AttemptOutcome = { kind: 'ok'; answer: Answer } | { kind: 'retry' | 'final'; result: HistoryResult; label: string; sample: string; retryAfterMs: number };

/** Classifies one answer (or a lost connection, `answer` undefined) of a put/delete (`mutation`) or a get. */
function classify(op: HistoryOp['op'], answer: Answer | undefined, error: unknown): AttemptOutcome {
  if (!answer) {
    const code = (error as { code?: string }).code ?? 'ERR';
    return { kind: 'retry', result: op === 'get' ? 'fail' : 'unknown', label: `${op} ${code}`, sample: String(error), retryAfterMs: 0 };
  }
  const { status, body } = answer;
  if (status === 200 || (status === 404 && body?.error_code === 'KEY_NOT_FOUND' && op !== 'put')) return { kind: 'ok', answer };
  const label = `${op} ${status} ${body?.error_code ?? ''}`.trim();
  const sample = `${(body as { message?: string } | undefined)?.message ?? ''} (outcome ${body?.outcome ?? '-'})`;
  if (status >= 500) {
    const result: HistoryResult = op === 'get' || body?.outcome === 'not_applied' ? 'fail' : 'unknown';
    return { kind: 'retry', result, label, sample, retryAfterMs: answer.retryAfterMs };
  }
  // The original attempt is still running: its outcome is open, a later attempt may replay it.
  if (status === 409 && body?.error_code === 'IDEMPOTENCY_KEY_IN_USE') return { kind: 'retry', result: 'unknown', label, sample, retryAfterMs: answer.retryAfterMs };
  return { kind: 'final', result: 'fail', label, sample, retryAfterMs: 0 }; // other 4xx: no side effects (http-api.md §1.5)
}

interface ClientContext {
  readonly name: string;
  readonly pool: Pool;
  readonly rnd: () => number;
  readonly ownKeys: readonly string[];
  readonly allKeys: readonly string[];
  readonly sharedKeys: readonly string[];
  readonly maxAttempts: number;
  readonly level: string;
  readonly history: HistoryOp[];
  readonly errors: Record<string, number>;
  readonly errorSamples: Record<string, string[]>;
  seq: number;
}

const kvPath = (key: string, level: string) => `/v1/key-value?tenant_id=${TENANT}&key=${encodeURIComponent(key)}&consistency=${level}`;

/** One logical operation with its retries; appends its history entry. */
async function runOp(c: ClientContext, op: HistoryOp['op'], key: string, level = c.level, final = false): Promise<void> {
  const value = op === 'put' ? `${c.name}:${++c.seq}` : undefined;
  const idempotencyKey = `${c.name}-${c.seq}-${key}`;
  const start = Date.now();
  let sawUnknown = false;
  let last: AttemptOutcome | undefined;
  for (let attempt = 1; attempt <= c.maxAttempts; attempt++) {
    let answer: Answer | undefined;
    let error: unknown;
    try {
      if (op === 'put') answer = await send(c.pool, 'POST', '/v1/key-value', { tenant_id: TENANT, key, value, consistency: level }, { 'idempotency-key': idempotencyKey });
      else answer = await send(c.pool, op === 'get' ? 'GET' : 'DELETE', kvPath(key, level));
    } catch (err) {
      error = err;
    }
    last = classify(op, answer, error);
    if (last.kind === 'ok') break;
    c.errors[last.label] = (c.errors[last.label] ?? 0) + 1;
    const samples = (c.errorSamples[last.label] ??= []);
    if (samples.length < 3) samples.push(`${new Date().toISOString()} ${last.sample}`);
    if (last.result === 'unknown') sawUnknown = true;
    if (last.kind === 'final') break;
    if (attempt < c.maxAttempts) await sleep(Math.min(1000, last.retryAfterMs || 250 * attempt));
  }
  const end = Date.now();
  const client = final ? 'final' : c.name;
  if (last!.kind === 'ok') {
    const { status, body } = last!.answer;
    if (op === 'get') c.history.push({ client, op, key, value: status === 200 ? String(body?.value) : null, start, end, result: 'ok', final });
    else if (op === 'delete') c.history.push({ client, op, key, found: status === 200, mayHaveWritten: status !== 200 && sawUnknown, start, end, result: 'ok' });
    else c.history.push({ client, op, key, value, start, end, result: 'ok' });
  } else {
    const result: HistoryResult = sawUnknown ? 'unknown' : 'fail';
    c.history.push({ client, op, key, value: op === 'put' ? value : null, start, end, result, final });
  }
}

/** Closed loop until `endAt`: puts and deletes of own keys, puts of shared keys, gets of any key. */
async function clientLoop(c: ClientContext, endAt: number): Promise<void> {
  while (Date.now() < endAt) {
    const r = c.rnd();
    if (r < 0.4) await runOp(c, 'get', c.allKeys[Math.floor(c.rnd() * c.allKeys.length)]!);
    else if (r < 0.5 && c.sharedKeys.length > 0) await runOp(c, 'put', c.sharedKeys[Math.floor(c.rnd() * c.sharedKeys.length)]!);
    else if (r < 0.6) await runOp(c, 'delete', c.ownKeys[Math.floor(c.rnd() * c.ownKeys.length)]!);
    else await runOp(c, 'put', c.ownKeys[Math.floor(c.rnd() * c.ownKeys.length)]!);
  }
}

/** Kills a random storage node every `killEveryMs` (down for `downMs`), while a whole cycle still fits before `endAt`. */
async function chaosLoop(
  cluster: LocalCluster,
  coordinator: CoordinatorClient,
  o: ChaosOptions,
  rnd: () => number,
  endAt: number,
  kills: KillEvent[],
  log: (l: string) => void,
): Promise<void> {
  const t0 = Date.now();
  for (let tick = 1; ; tick++) {
    const killAt = t0 + tick * o.killEveryMs;
    if (killAt + o.downMs >= endAt) return;
    await sleep(killAt - Date.now());
    const i = Math.floor(rnd() * cluster.storage.length);
    const node = cluster.storage[i]!.nodeId;
    const killedAtMs = Date.now();
    await cluster.killStorage(i, 'SIGKILL');
    await sleep(o.downMs);
    await cluster.restartStorage(i);
    const restartedAtMs = Date.now();
    await waitRouted(coordinator, node);
    const routedAtMs = Date.now();
    kills.push({ node, killedAtMs, restartedAtMs, routedAtMs });
    log(
      `chaos: ${node} killed at +${((killedAtMs - t0) / 1000).toFixed(1)} s, ready after ${((restartedAtMs - killedAtMs) / 1000).toFixed(1)} s, ` +
        `routed to after ${((routedAtMs - killedAtMs) / 1000).toFixed(1)} s`,
    );
  }
}

/** Waits until the coordinator no longer lists `node` as down (it probes down nodes every 2 s). */
async function waitRouted(coordinator: CoordinatorClient, node: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const listed = await coordinator.listStorageNodes({}, { requestId: 'chaos', deadlineMs: Date.now() + 2000 }).catch(() => undefined);
    const status = listed?.nodes.find((n) => n.node_id === node)?.status;
    if (status !== undefined && status !== 'down') return;
    if (Date.now() > until) throw new Error(`storage node ${node} still down for the coordinator ${timeoutMs / 1000} s after its restart`);
    await sleep(100);
  }
}

async function hintsPending(cluster: LocalCluster): Promise<number> {
  const text = await (await fetch(`${cluster.coordinatorAdminUrl}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^pairdb_coordinator_hints_pending(?:\{[^}]*\})? (\d+(?:\.\d+)?)/gm)) n += Number(m[1]);
  return n;
}

interface ReplicaDigest {
  root: string;
  keys: number;
}

/** Each replica's whole-ring digest for the tenant (RF 3 on 3 nodes: every node holds every key). */
async function replicaDigests(storage: readonly StorageClient[]): Promise<ReplicaDigest[]> {
  return Promise.all(
    storage.map(async (s) => {
      for await (const r of s.rangeDigest({ specs: [{ range: { start: '0', end: '0' }, tenant_ids: [TENANT] }], depth: 4 }, { requestId: 'chaos', deadlineMs: Date.now() + 30_000 })) {
        return { root: Buffer.from(r.root).toString('hex'), keys: Number(r.key_count) };
      }
      throw new Error(`RangeDigest of ${s.address}: no result`);
    }),
  );
}

const allEqual = (d: readonly ReplicaDigest[]) => new Set(d.map((x) => x.root)).size === 1;

async function measureConvergence(cluster: LocalCluster, quietAtMs: number, lastRestartAtMs: number | null, timeoutMs: number, log: (l: string) => void): Promise<ConvergenceResult> {
  const storage = cluster.storage.map((n) => new StorageClient(`127.0.0.1:${n.port}`));
  const result: ConvergenceResult = { quietAtMs, lastRestartAtMs, hintsDrainedMs: null, digestsEqualMs: null, digestsEqualSinceLastRestartMs: null };
  // Polling: a failed probe is retried on the next round; the last error explains a timeout.
  let lastError: unknown;
  const remember = (err: unknown) => {
    lastError = err;
    return undefined;
  };
  try {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && (result.hintsDrainedMs === null || result.digestsEqualMs === null)) {
      const now = Date.now();
      if (result.hintsDrainedMs === null && (await hintsPending(cluster).catch(remember)) === 0) result.hintsDrainedMs = now - quietAtMs;
      if (result.digestsEqualMs === null) {
        const digests = await replicaDigests(storage).catch(remember);
        if (digests && allEqual(digests)) {
          result.keysPerReplica = digests.map((d) => d.keys);
          result.digestsEqualMs = now - quietAtMs;
          result.digestsEqualSinceLastRestartMs = lastRestartAtMs === null ? null : now - lastRestartAtMs;
        }
      }
      await sleep(200);
    }
    if (result.digestsEqualMs === null) {
      const why = lastError ? ` (last probe error: ${lastError instanceof Error ? lastError.message : String(lastError)})` : '';
      log(`convergence: digests still differ ${timeoutMs / 1000} s after the run${why}; running a repair`);
      const coord = new CoordinatorClient(cluster.coordinatorAddress);
      const t0 = Date.now();
      let state = 'none';
      try {
        for await (const p of coord.repair({ tenant_id: TENANT }, { requestId: 'chaos', deadlineMs: Date.now() + 300_000 })) state = String(p.state);
      } finally {
        coord.close();
      }
      const digests = await replicaDigests(storage);
      result.keysPerReplica = digests.map((d) => d.keys);
      result.repair = { state, durationMs: Date.now() - t0, digestsEqual: allEqual(digests) };
    }
  } finally {
    for (const s of storage) s.close();
  }
  return result;
}

/** Runs the whole chaos experiment on a fresh LocalCluster and returns the measured result. */
export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => {});
  const startedAt = new Date();
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'pairdb-chaos-'));
  const cluster = new LocalCluster({ dataDir, nodes: 3 });
  const pools: Pool[] = [];
  try {
    await cluster.start();
    log(`chaos: cluster ready after ${Date.now() - startedAt.getTime()} ms`);
    const admin = new Pool(cluster.gatewayUrl, { connections: 1 });
    pools.push(admin);
    const created = await send(admin, 'POST', '/v1/tenants', {
      tenant_id: TENANT,
      replication_factor: 3,
      rate_limits: { writes_per_minute: 10_000_000, reads_per_minute: 10_000_000 },
    });
    if (created.status !== 201) throw new Error(`creating the chaos tenant: HTTP ${created.status} ${JSON.stringify(created.body)}`);

    const rnd = prng(o.seed);
    const names = Array.from({ length: o.clients }, (_, i) => `c${i + 1}`);
    const ownKeys = new Map(names.map((n) => [n, Array.from({ length: o.keysPerClient }, (_, k) => `${n}-k${k}`)]));
    const sharedKeys = Array.from({ length: o.sharedKeys }, (_, k) => `shared-k${k}`);
    const allKeys = [...[...ownKeys.values()].flat(), ...sharedKeys];
    const history: HistoryOp[] = [];
    const errors: Record<string, number> = {};
    const errorSamples: Record<string, string[]> = {};
    const clients: ClientContext[] = names.map((name, i) => {
      const pool = new Pool(cluster.gatewayUrl, { connections: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
      pools.push(pool);
      return { name, pool, rnd: prng(o.seed * 7919 + i + 1), ownKeys: ownKeys.get(name)!, allKeys, sharedKeys, maxAttempts: o.maxAttempts ?? 3, level: o.level ?? 'quorum', history, errors, errorSamples, seq: 0 };
    });

    log(`chaos: ${o.clients} clients, ${o.durationMs / 1000} s, a SIGKILL every ${o.killEveryMs / 1000} s (down ${o.downMs / 1000} s), seed ${o.seed}`);
    const kills: KillEvent[] = [];
    const endAt = Date.now() + o.durationMs;
    const coordinator = new CoordinatorClient(cluster.coordinatorAddress);
    try {
      await Promise.all([...clients.map((c) => clientLoop(c, endAt)), chaosLoop(cluster, coordinator, o, rnd, endAt, kills, log)]);
    } finally {
      coordinator.close();
    }
    const workloadEnd = Date.now();
    const lastRestartAtMs = kills.length ? kills[kills.length - 1]!.restartedAtMs : null;
    const convergence = await measureConvergence(cluster, Math.max(workloadEnd, lastRestartAtMs ?? 0), lastRestartAtMs, o.convergenceTimeoutMs ?? 60_000, log);

    log(`chaos: convergence measured ${Date.now() - workloadEnd} ms after the workload`);
    const finalReader: ClientContext = { ...clients[0]!, name: 'final', history, errors, maxAttempts: 3 };
    for (let i = 0; i < allKeys.length; i += 16) {
      await Promise.all(allKeys.slice(i, i + 16).map((k) => runOp(finalReader, 'get', k, 'all', true)));
    }
    log(`chaos: final reads done ${Date.now() - workloadEnd} ms after the workload`);
    const report = checkHistory(history);
    const failures: string[] = [];
    if (report.violations.length > 0) failures.push(`${report.violations.length} history violations`);
    if (report.okPercent < MIN_OK_PERCENT) failures.push(`ok ${report.okPercent.toFixed(2)} % < ${MIN_OK_PERCENT} %`);
    if (convergence.digestsEqualMs === null) failures.push('replicas did not converge from hints alone');
    else if (convergence.digestsEqualMs > CONVERGENCE_LIMIT_MS) failures.push(`convergence took ${convergence.digestsEqualMs} ms > ${CONVERGENCE_LIMIT_MS} ms`);
    const opsDuringOutages = history.filter((op) => !op.final && kills.some((k) => op.start >= k.killedAtMs && op.start < k.routedAtMs)).length;
    const { log: _log, ...options } = o;
    return { options, startedAt: startedAt.toISOString(), wallMs: Date.now() - startedAt.getTime(), kills, convergence, report, opsDuringOutages, errors, errorSamples, failures };
  } finally {
    // Best effort: a pool that fails to close cannot outlive the cluster stopped next.
    await Promise.all(pools.map((p) => p.close().catch((err: unknown) => log(`chaos: closing an HTTP pool: ${String(err)}`))));
    const stopping = Date.now();
    await cluster.stop();
    log(`chaos: cluster stopped in ${Date.now() - stopping} ms`);
    if (!o.keepData) rmSync(dataDir, { recursive: true, force: true });
  }
}
