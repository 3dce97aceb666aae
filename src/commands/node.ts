import { Command } from 'commander';
import { PairdbError } from '../core/errors.js';
import { parseIntArg } from './output/args.js';
import { addClientOptions, withContext, type CliDeps } from './output/context.js';
import { withHint } from './output/errors.js';

/** `HOST:PORT`, IPv6 in brackets (`[::1]:50052`). */
function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(addr);
  if (!m) throw new PairdbError('USAGE', `--addr must be HOST:PORT, got ${JSON.stringify(addr)}`);
  return { host: (m[1] ?? m[2])!, port: parseIntArg(m[3]!, '--addr port', 1, 65535) };
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
  addClientOptions(add);
  add.action(async (_o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<{ id: string; addr: string; vnodes: string }>();
      const { host, port } = parseAddr(o.addr);
      const body = await ctx.gateway().addNode({ node_id: o.id, host, port, virtual_nodes: parseIntArg(o.vnodes, '--vnodes', 1, 1024) });
      ctx.printer.nodeChange(body);
    }),
  );

  const remove = new Command('remove')
    .description('remove a storage node (starts a node_removal migration)')
    .argument('<id>', 'node id')
    .option('--force', 'skip the NODE_IN_USE check');
  addClientOptions(remove);
  remove.action(async (id: string, _o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<{ force?: boolean }>();
      try {
        ctx.printer.nodeChange(await ctx.gateway().removeNode(id, o.force === true));
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
