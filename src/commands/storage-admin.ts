import { randomUUID } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Chalk } from 'chalk';
import { Command, Option } from 'commander';
import { PairdbError } from '../core/errors.js';
import { sstFileName } from '../core/engine/sstable-format.js';
import { CoordinatorClient, StorageClient } from '../core/rpc/clients.js';
import { ERROR_CODE_TRAILER } from '../core/rpc/pipe.js';
import type * as pb from '../core/rpc/types.js';
import { flag } from './options.js';
import { addOutputOptions, withContext, type CliContext, type CliDeps } from './output/context.js';
import { formatBytes, formatPercent } from './output/format.js';
import { renderTable } from './output/table.js';

/**
 * `pairdb storage flush|stats [--target HOST:PORT | --all]` (cli-and-ops.md §2.6): the StorageService admin RPCs of
 * rpc.md §6 against one node (`--target`, PAIRDB_TARGET, default 127.0.0.1:50052) or every node the coordinator
 * lists (`--all`, via `--coordinator`). `-o json` prints one object for a target and an array for `--all`.
 */

export const STORAGE_ADMIN_SUBCOMMANDS: readonly string[] = ['flush', 'stats'];

const DEFAULT_TARGET = '127.0.0.1:50052';
/** rpc.md §6: Flush with `wait` may take up to 60 s. */
const FLUSH_DEADLINE_MS = 60_000;

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

/** The `flush` and `stats` subcommands of `pairdb storage`. */
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
  return [flush, stats];
}
