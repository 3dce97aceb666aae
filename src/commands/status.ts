import { randomUUID } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Command } from 'commander';
import { PairdbError } from '../core/errors.js';
import { ERROR_CODE_TRAILER } from '../core/rpc/pipe.js';
import { buildStatusView } from '../core/client/status-view.js';
import { parseIntArg } from './output/args.js';
import { addClientOptions, withContext, type CliDeps } from './output/context.js';

/** A gRPC failure without a pairDB code is the channel's own: nobody answered. */
function connectionError(err: unknown, address: string): unknown {
  if (!(err instanceof PairdbError)) return err;
  const cause = err.cause as { code?: number; metadata?: { get(k: string): unknown[] } } | undefined;
  const hasApiCode = (cause?.metadata?.get(ERROR_CODE_TRAILER)?.length ?? 0) > 0;
  if (!hasApiCode && cause?.code === GrpcStatus.UNAVAILABLE) {
    return new PairdbError('CONNECTION_FAILED', `cannot reach the coordinator at ${address}`, {
      hint: 'is a coordinator running there? pass --coordinator HOST:PORT or start a local cluster with `npx pairdb up`',
      cause: err,
    });
  }
  return err;
}

/** `pairdb status [--rf N] [--check]`: nodetool-style ring status via the coordinator's ClusterStatus RPC. */
export function statusCommand(deps: CliDeps): Command {
  const cmd = new Command('status')
    .description('cluster status, nodetool style (via the coordinator, --coordinator)')
    .option('--rf <n>', 'show OWNS as the effective share at this replication factor')
    .option('--check', 'exit 5 unless every node is UN (up, normal)');
  addClientOptions(cmd);
  cmd.action(async (_o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<{ rf?: string; check?: boolean }>();
      const rf = o.rf === undefined ? undefined : parseIntArg(o.rf, '--rf', 1, 10);
      const address = ctx.flags.coordinator ?? '127.0.0.1:50051';
      let res;
      try {
        res = await ctx.coordinator().clusterStatus({ requestId: randomUUID(), deadlineMs: Date.now() + ctx.timeoutMs });
      } catch (err) {
        throw connectionError(err, address);
      }
      const view = buildStatusView(res, { rf });
      ctx.printer.status(view);
      if (o.check) {
        const bad = view.nodes.filter((n) => view.liveness.get(n.node_id) !== 'up' || n.state !== 'normal');
        if (bad.length > 0) {
          throw new PairdbError('SERVICE_UNAVAILABLE', `${bad.length} node(s) not UN: ${bad.map((n) => n.node_id).join(', ')}`);
        }
      }
    }),
  );
  return cmd;
}
