import { randomUUID } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Chalk } from 'chalk';
import { Command, Option } from 'commander';
import { PairdbError } from '../core/errors.js';
import { NodeFileSystem } from '../core/engine/file-system.js';
import { restoreSnapshot } from '../core/engine/snapshot.js';
import { sstFileName } from '../core/engine/sstable-format.js';
import { silentLogger } from '../core/observability/logger.js';
import { CoordinatorClient, StorageClient } from '../core/rpc/clients.js';
import { ERROR_CODE_TRAILER } from '../core/rpc/pipe.js';
import type * as pb from '../core/rpc/types.js';
import { flag } from './options.js';
import { addOutputOptions, withContext, type CliContext, type CliDeps } from './output/context.js';
import { formatBytes, formatPercent } from './output/format.js';
import { renderTable } from './output/table.js';

/**
 * `pairdb storage flush|compact|stats|snapshot [--target HOST:PORT | --all]` (cli-and-ops.md §2.6): the
 * StorageService admin RPCs of rpc.md §6 against one node (`--target`, PAIRDB_TARGET, default 127.0.0.1:50052) or
 * every node the coordinator lists (`--all`, via `--coordinator`). `-o json` prints one object for a target and an
 * array for `--all`. `pairdb storage restore` works on a stopped node's data directory (no RPC).
 */

export const STORAGE_ADMIN_SUBCOMMANDS: readonly string[] = ['flush', 'compact', 'stats', 'snapshot', 'restore'];

const DEFAULT_TARGET = '127.0.0.1:50052';
/** rpc.md §6: Flush with `wait` may take up to 60 s, Compact with `wait` 1 h, Snapshot 60 s. */
const FLUSH_DEADLINE_MS = 60_000;
const COMPACT_DEADLINE_MS = 3_600_000;
const SNAPSHOT_DEADLINE_MS = 60_000;

interface AdminFlags {
  target: string;
  all?: boolean;
  coordinator: string;
}

interface Node {
  nodeId: string | undefined;
  address: string;
}

/** A gRPC failure without a pairDB code is the channel's own: nobody answered. */
function connectionError(err: unknown, address: string, what: string): unknown {
  if (!(err instanceof PairdbError)) return err;
  const cause = err.cause as { code?: number; metadata?: { get(k: string): unknown[] } } | undefined;
  const hasApiCode = (cause?.metadata?.get(ERROR_CODE_TRAILER)?.length ?? 0) > 0;
  if (!hasApiCode && cause?.code === GrpcStatus.UNAVAILABLE) {
    return new PairdbError('CONNECTION_FAILED', `cannot reach the ${what} at ${address}`, {
      hint: what === 'coordinator' ? 'pass --coordinator HOST:PORT' : 'is a storage node running there? pass --target HOST:PORT (or PAIRDB_TARGET)',
      cause: err,
    });
  }
  return err;
}

function addAdminOptions(cmd: Command): Command {
  const group = 'Target options:';
  cmd.addOption(flag('--target <host:port>', 'storage node gRPC address', DEFAULT_TARGET).helpGroup(group));
  cmd.addOption(new Option('--all', 'every storage node the coordinator lists').helpGroup(group));
  cmd.addOption(flag('--coordinator <host:port>', 'coordinator gRPC address (with --all)', '127.0.0.1:50051').helpGroup(group));
  cmd.addOption(flag('--timeout <duration>', 'per-request timeout (flush waits up to 60s)', '10s').helpGroup(group));
  return addOutputOptions(cmd);
}

/** The nodes to talk to: the target, or (`--all`) every node of the coordinator's list. */
async function nodesOf(ctx: CliContext, c: Command): Promise<Node[]> {
  const o = c.opts<AdminFlags>();
  if (!o.all) return [{ nodeId: undefined, address: o.target }];
  if (c.getOptionValueSource('target') === 'cli') throw new PairdbError('USAGE', '--target and --all are exclusive');
  const coord = new CoordinatorClient(o.coordinator);
  try {
    const res = await coord.listStorageNodes({ include_removed: false }, { requestId: randomUUID(), deadlineMs: Date.now() + ctx.timeoutMs });
    return res.nodes.map((n) => ({ nodeId: n.node_id, address: `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}` }));
  } catch (err) {
    throw connectionError(err, o.coordinator, 'coordinator');
  } finally {
    coord.close();
  }
}

/**
 * Runs `call` on every node in parallel. Results come back in node order; the failures of an `--all` run are noted
 * on stderr and the first one is thrown after the others are printed (a single target just throws).
 */
async function onEach<T>(ctx: CliContext, nodes: Node[], call: (client: StorageClient, node: Node) => Promise<T>): Promise<{ results: T[]; failure: unknown }> {
  const settled = await Promise.allSettled(
    nodes.map(async (n) => {
      const client = new StorageClient(n.address);
      try {
        return await call(client, n);
      } catch (err) {
        throw connectionError(err, n.address, 'storage node');
      } finally {
        client.close();
      }
    }),
  );
  const results: T[] = [];
  let failure: unknown;
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') results.push(s.value);
    else {
      failure ??= s.reason;
      if (nodes.length > 1) ctx.note(`note: ${nodes[i]!.nodeId ?? nodes[i]!.address}: ${s.reason instanceof Error ? s.reason.message : String(s.reason)}`);
    }
  });
  if (nodes.length === 1 && failure !== undefined) throw failure;
  return { results, failure };
}

/** Prints objects as JSON (one object, or an array for --all) or one per line (ndjson). */
function printJson(ctx: CliContext, all: boolean, objs: unknown[]): void {
  if (ctx.format === 'ndjson') for (const o of objs) ctx.io.stdout.write(`${JSON.stringify(o)}\n`);
  else ctx.io.stdout.write(`${JSON.stringify(all ? objs : objs[0], null, 2)}\n`);
}

function printRows(ctx: CliContext, head: string[], rows: (string | number)[][]): void {
  if (ctx.format === 'simple') {
    for (const r of rows) ctx.io.stdout.write(`${r.join('\t')}\n`);
    return;
  }
  ctx.io.stdout.write(renderTable(head, rows, new Chalk({ level: 0 })));
}

const isJson = (ctx: CliContext): boolean => ctx.format === 'json' || ctx.format === 'ndjson';

interface FlushResult {
  node_id: string;
  address: string;
  sstables_written: number;
  entries_flushed: number;
  bytes_written: number;
  files: string[];
}

interface StatsResult {
  node_id: string;
  address: string;
  key_count: number;
  tombstone_count: number;
  memtable_bytes: number;
  commitlog_bytes: number;
  commitlog_segments: number;
  sstable_bytes: number;
  levels: { level: number; files: number; bytes: number }[];
  row_cache_hit_rate: number;
  block_cache_hit_rate: number;
  pending_compactions: number;
  gc_grace_ms: number;
  disk_usage_percent: number;
  disk_state: string;
}

function statsResult(address: string, s: pb.StatsResponse__Output): StatsResult {
  const levels = Object.keys(s.sstables_per_level)
    .map(Number)
    .sort((a, b) => a - b)
    .map((level) => ({ level, files: s.sstables_per_level[level] ?? 0, bytes: Number(s.sstable_bytes_per_level[level] ?? 0) }));
  return {
    node_id: s.node_id,
    address,
    key_count: Number(s.key_count),
    tombstone_count: Number(s.tombstone_count),
    memtable_bytes: Number(s.memtable_bytes),
    commitlog_bytes: Number(s.commitlog_bytes),
    commitlog_segments: s.commitlog_segments,
    sstable_bytes: Number(s.sstable_bytes),
    levels,
    row_cache_hit_rate: s.row_cache_hit_rate,
    block_cache_hit_rate: s.block_cache_hit_rate,
    pending_compactions: s.pending_compactions,
    gc_grace_ms: Number(s.gc_grace_ms),
    disk_usage_percent: s.disk_usage_percent,
    disk_state: s.disk_state,
  };
}

function printStats(ctx: CliContext, s: StatsResult): void {
  const days = s.gc_grace_ms / 86_400_000;
  const rows: [string, string][] = [
    ['node', `${s.node_id} (${s.address})`],
    ['memtable', formatBytes(s.memtable_bytes)],
    ['keys', `${s.key_count} (${s.tombstone_count} tombstoned, approximate)`],
    ['sstables', `${s.levels.reduce((n, l) => n + l.files, 0)} files, ${formatBytes(s.sstable_bytes)}`],
    ...s.levels.map((l): [string, string] => [`  L${l.level}`, `${l.files} files, ${formatBytes(l.bytes)}`]),
    ['commit log', `${s.commitlog_segments} segments, ${formatBytes(s.commitlog_bytes)}`],
    ['row cache hit rate', formatPercent(s.row_cache_hit_rate)],
    ['block cache hit rate', formatPercent(s.block_cache_hit_rate)],
    ['pending compactions', String(s.pending_compactions)],
    ['disk', `${s.disk_state} (${s.disk_usage_percent.toFixed(1)}% used)`],
    ['gc grace', Number.isInteger(days) ? `${days}d` : `${s.gc_grace_ms}ms`],
  ];
  if (ctx.format === 'simple') for (const [k, v] of rows) ctx.io.stdout.write(`${k.trim()}\t${v}\n`);
  else {
    const width = Math.max(...rows.map(([k]) => k.length)) + 2;
    for (const [k, v] of rows) ctx.io.stdout.write(`${k.padEnd(width)}${v}\n`);
  }
}

/** The node id of an `--all` node, or (`--target`) the one its Stats answer names. */
async function nodeIdOf(ctx: CliContext, client: StorageClient, n: Node): Promise<string> {
  return n.nodeId ?? (await client.stats({ requestId: randomUUID(), deadlineMs: Date.now() + ctx.timeoutMs })).node_id;
}

interface CompactResult {
  node_id: string;
  address: string;
  /** null = every level. */
  level: number | null;
  job_id: string;
  completed: boolean;
  tables_in: number;
  tables_out: number;
  bytes_reclaimed: number;
  entries_dropped: number;
}

interface SnapshotJson {
  name: string;
  created_at: string | null;
  created_at_ms: number;
  sstables: number;
  bytes: number;
}

interface SnapshotResult {
  node_id: string;
  address: string;
  action: 'create' | 'list' | 'clear';
  snapshots: SnapshotJson[];
}

function snapshotJson(s: pb.SnapshotInfo__Output): SnapshotJson {
  const ms = Number(s.created_at_ms);
  return { name: s.name, created_at: ms > 0 ? new Date(ms).toISOString() : null, created_at_ms: ms, sstables: s.sstables, bytes: Number(s.bytes) };
}

function parseLevel(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new PairdbError('USAGE', `invalid --level ${JSON.stringify(text)} (a level number, 0 = L0 into L1)`);
  return Number(text);
}

/** The `compact`, `snapshot` and `restore` subcommands (cli-and-ops.md §2.6). */
function compactSnapshotRestoreCommands(deps: CliDeps): Command[] {
  const compact = new Command('compact').description('compact every level (or --level N into N+1): NODE | LEVEL | IN | OUT | BYTES RECLAIMED');
  compact.addOption(new Option('--level <n>', 'compact only level N into level N+1 (default: all levels, top-down)'));
  compact.addOption(new Option('--no-wait', 'start the compaction and return at once (job id; the node logs the outcome)'));
  addAdminOptions(compact);
  compact.action(async (_o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<{ level?: string; wait: boolean; all?: boolean }>();
      const level = parseLevel(o.level);
      const all = o.all === true;
      const nodes = await nodesOf(ctx, c);
      const deadline = o.wait ? Math.max(COMPACT_DEADLINE_MS, ctx.timeoutMs) : ctx.timeoutMs;
      const { results, failure } = await onEach(ctx, nodes, async (client, n): Promise<CompactResult> => {
        const res = await client.compact(
          { level: level ?? 0, all_levels: level === undefined, wait: o.wait },
          { requestId: randomUUID(), deadlineMs: Date.now() + deadline },
        );
        return {
          node_id: await nodeIdOf(ctx, client, n),
          address: n.address,
          level: level ?? null,
          job_id: res.job_id,
          completed: res.completed,
          tables_in: res.tables_in,
          tables_out: res.tables_out,
          bytes_reclaimed: Number(res.bytes_reclaimed),
          entries_dropped: Number(res.entries_dropped),
        };
      });
      if (isJson(ctx)) printJson(ctx, all, results);
      else {
        const dash = (r: CompactResult, v: string): string => (r.completed ? v : '-');
        printRows(
          ctx,
          ['NODE', 'LEVEL', 'IN', 'OUT', 'BYTES RECLAIMED'],
          results.map((r) => [r.node_id, r.level === null ? 'all' : `L${r.level}`, dash(r, String(r.tables_in)), dash(r, String(r.tables_out)), dash(r, formatBytes(r.bytes_reclaimed))]),
        );
        for (const r of results) if (!r.completed) ctx.note(`note: ${r.node_id}: compaction started in the background (job ${r.job_id}); the node logs its outcome`);
      }
      if (failure !== undefined) throw failure;
    }),
  );

  const snapshot = new Command('snapshot').description(
    'flush and hard-link every live SSTable plus a manifest naming them into <data-dir>/snapshots/<name>/ (--list, --clear N)',
  );
  snapshot.addOption(new Option('--name <name>', 'snapshot name, 1..128 of [A-Za-z0-9._-] (default: the UTC time)'));
  snapshot.addOption(new Option('--list', 'list the snapshots instead'));
  snapshot.addOption(new Option('--clear <name>', 'delete this snapshot instead'));
  addAdminOptions(snapshot);
  snapshot.action(async (_o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<{ name?: string; list?: boolean; clear?: string; all?: boolean }>();
      if ([o.name !== undefined, o.list === true, o.clear !== undefined].filter(Boolean).length > 1) {
        throw new PairdbError('USAGE', '--name, --list and --clear are exclusive');
      }
      const action: SnapshotResult['action'] = o.list ? 'list' : o.clear !== undefined ? 'clear' : 'create';
      // One default name for every node of an --all run, so the snapshot can be collected (and cleared) by it.
      const name = o.name ?? (action === 'create' ? new Date().toISOString().replace(/:/g, '-') : '');
      const all = o.all === true;
      const nodes = await nodesOf(ctx, c);
      const { results, failure } = await onEach(ctx, nodes, async (client, n): Promise<SnapshotResult> => {
        const res = await client.snapshot(
          { name, list: o.list === true, clear: o.clear ?? '' },
          { requestId: randomUUID(), deadlineMs: Date.now() + Math.max(SNAPSHOT_DEADLINE_MS, ctx.timeoutMs) },
        );
        return { node_id: await nodeIdOf(ctx, client, n), address: n.address, action, snapshots: res.snapshots.map(snapshotJson) };
      });
      if (isJson(ctx)) printJson(ctx, all, results);
      else
        printRows(
          ctx,
          ['NODE', 'SNAPSHOT', 'CREATED', 'SSTABLES', 'BYTES'],
          results.flatMap((r) => r.snapshots.map((s) => [r.node_id, s.name, s.created_at ?? '-', s.sstables, formatBytes(s.bytes)])),
        );
      if (failure !== undefined) throw failure;
    }),
  );

  const restore = new Command('restore').description(
    'offline: verify a snapshot, move the current SSTables, manifest and commit log to restore-backup-<ts>/, install the snapshot',
  );
  restore.addOption(new Option('--data-dir <dir>', 'data directory of the stopped storage node (takes its LOCK)'));
  restore.addOption(new Option('--snapshot <name>', 'snapshot to install (from <data-dir>/snapshots/)'));
  addOutputOptions(restore);
  restore.action(async (_o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      // `--data-dir` is also a flag of the `storage` daemon command, which takes it when given after `restore`.
      const o = c.optsWithGlobals<{ dataDir?: string; snapshot?: string }>();
      if (!o.dataDir) throw new PairdbError('USAGE', "required option '--data-dir <dir>' not specified");
      if (!o.snapshot) throw new PairdbError('USAGE', "required option '--snapshot <name>' not specified");
      const r = await restoreSnapshot({ fs: new NodeFileSystem(), dataDir: o.dataDir, name: o.snapshot, logger: silentLogger(), nowMs: Date.now() });
      const out = { data_dir: o.dataDir, snapshot: r.snapshot, sstables: r.sstables, bytes: r.bytes, backup_dir: r.backupDir };
      if (isJson(ctx)) printJson(ctx, false, [out]);
      else printRows(ctx, ['SNAPSHOT', 'SSTABLES', 'BYTES', 'BACKUP'], [[out.snapshot, out.sstables, formatBytes(out.bytes), out.backup_dir]]);
    }),
  );
  return [compact, snapshot, restore];
}

/** The admin subcommands of `pairdb storage`: flush, compact, stats, snapshot, restore. */
export function storageAdminCommands(deps: CliDeps): Command[] {
  const flush = new Command('flush').description('flush the memtable to an L0 SSTable and wait: NODE | BYTES | SSTABLE');
  addAdminOptions(flush);
  flush.action(async (_o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const all = c.opts<AdminFlags>().all === true;
      const nodes = await nodesOf(ctx, c);
      const { results, failure } = await onEach(ctx, nodes, async (client, n): Promise<FlushResult> => {
        const res = await client.flush({ wait: true }, { requestId: randomUUID(), deadlineMs: Date.now() + Math.max(FLUSH_DEADLINE_MS, ctx.timeoutMs) });
        // FlushResponse carries no node id; --target asks the node for it.
        const nodeId = n.nodeId ?? (await client.stats({ requestId: randomUUID(), deadlineMs: Date.now() + ctx.timeoutMs })).node_id;
        return {
          node_id: nodeId,
          address: n.address,
          sstables_written: res.sstables_written,
          entries_flushed: Number(res.entries_flushed),
          bytes_written: Number(res.bytes_written),
          files: res.files.map((f) => sstFileName(Number(f))),
        };
      });
      if (isJson(ctx)) printJson(ctx, all, results);
      else printRows(ctx, ['NODE', 'BYTES', 'SSTABLE'], results.map((r) => [r.node_id, formatBytes(r.bytes_written), r.files.length ? r.files.join(',') : '-']));
      if (failure !== undefined) throw failure;
    }),
  );

  const stats = new Command('stats').description('memtable, files/bytes per level, cache hit rates, disk state, segments, gc-grace');
  addAdminOptions(stats);
  stats.action(async (_o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const all = c.opts<AdminFlags>().all === true;
      const nodes = await nodesOf(ctx, c);
      const { results, failure } = await onEach(ctx, nodes, async (client, n) =>
        statsResult(n.address, await client.stats({ requestId: randomUUID(), deadlineMs: Date.now() + ctx.timeoutMs })),
      );
      if (isJson(ctx)) printJson(ctx, all, results);
      else
        results.forEach((r, i) => {
          if (i > 0) ctx.io.stdout.write('\n');
          printStats(ctx, r);
        });
      if (failure !== undefined) throw failure;
    }),
  );
  const [compact, snapshot, restore] = compactSnapshotRestoreCommands(deps);
  return [flush, compact!, stats, snapshot!, restore!];
}
