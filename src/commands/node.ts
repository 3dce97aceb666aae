import { Command } from 'commander';
import { PairdbError } from '../core/errors.js';
import { parseIntArg } from './output/args.js';
import { addClientOptions, withContext, type CliDeps } from './output/context.js';
import { withHint } from './output/errors.js';
import { DEFAULT_WATCH_INTERVAL, followMigration, parseWatchInterval } from './migration-follow.js';

/** `HOST:PORT`, IPv6 in brackets (`[::1]:50052`). */
function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(addr);
  if (!m) throw new PairdbError('USAGE', `--addr must be HOST:PORT, got ${JSON.stringify(addr)}`);
  return { host: (m[1] ?? m[2])!, port: parseIntArg(m[3]!, '--addr port', 1, 65535) };
}

interface WaitFlags {
  wait?: boolean;
  interval: string;
}

/** `--wait` = `migration status --watch` on the migration the change started (cli-and-ops.md §2.5). */
function waitOptions(cmd: Command): Command {
  return cmd
    .option('--wait', 'follow the migration to its end, as `migration status --watch` (exit 1 if it fails)')
    .option('--interval <duration>', 'time between polls with --wait', DEFAULT_WATCH_INTERVAL);
}

/** `pairdb node list|add|remove` over the admin plane (http-api.md §8). */
export function nodeCommand(deps: CliDeps): Command {
  const node = new Command('node').description('list, add and remove storage nodes');

  const list = new Command('list').description('storage nodes: NODE | ADDRESS | STATE | VNODES | KEYS | DISK%');
  addClientOptions(list);
  list.action(async (_o: object, c: Command) =>
    withContext(deps, c, async (ctx) => ctx.printer.nodeList(await ctx.gateway().listNodes())),
  );

  const add = new Command('add')
    .description('add a storage node to the ring (starts a node_addition migration)')
    .requiredOption('--id <id>', 'node id')
    .requiredOption('--addr <host:port>', 'gRPC address of the running node')
    .option('--vnodes <n>', 'virtual nodes 1..1024', '150');
  waitOptions(add);
  addClientOptions(add);
  add.action(async (_o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<{ id: string; addr: string; vnodes: string } & WaitFlags>();
      const { host, port } = parseAddr(o.addr);
      const intervalMs = parseWatchInterval(o.interval);
      const body = await ctx.gateway().addNode({ node_id: o.id, host, port, virtual_nodes: parseIntArg(o.vnodes, '--vnodes', 1, 1024) });
      ctx.printer.nodeChange(body);
      if (o.wait && body.migration_id) await followMigration(ctx, body.migration_id, intervalMs);
    }),
  );

  const remove = new Command('remove')
    .description('remove a storage node (starts a node_removal migration)')
    .argument('<id>', 'node id')
    .option('--force', 'skip the NODE_IN_USE check');
  waitOptions(remove);
  addClientOptions(remove);
  remove.action(async (id: string, _o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<{ force?: boolean } & WaitFlags>();
      const intervalMs = parseWatchInterval(o.interval);
      try {
        const body = await ctx.gateway().removeNode(id, o.force === true);
        ctx.printer.nodeChange(body);
        if (o.wait && body.migration_id) await followMigration(ctx, body.migration_id, intervalMs);
      } catch (err) {
        if (err instanceof PairdbError && err.code === 'NODE_IN_USE') {
          throw withHint(err, 'too few normal nodes would remain for the largest replication factor; --force skips this check');
        }
        throw err;
      }
    }),
  );

  return node.addCommand(list).addCommand(add).addCommand(remove);
}
