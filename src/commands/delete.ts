import { Command, Option } from 'commander';
import { PairdbError } from '../core/errors.js';
import type { Consistency } from '../core/client/api-types.js';
import { parseClockArg } from './output/args.js';
import { addClientOptions, withContext, type CliDeps } from './output/context.js';
import { CONSISTENCY_LEVELS } from './put.js';

/** `pairdb delete [--tenant T] <key> [--consistency C] [--context CLOCK] [--ignore-missing]` */
export function deleteCommand(deps: CliDeps): Command {
  const cmd = new Command('delete')
    .description('delete a key (writes a tombstone); a missing key exits 3')
    .argument('<key>', 'the key')
    .addOption(new Option('--consistency <level>', 'consistency level (default: quorum)').choices(CONSISTENCY_LEVELS))
    .option('--context <clock>', 'causal context: the vector clock JSON printed by get')
    .option('--ignore-missing', 'exit 0 when the key does not exist');
  addClientOptions(cmd);
  cmd.action(async (key: string, _o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<{ consistency?: Consistency; context?: string; ignoreMissing?: boolean }>();
      const tenant = ctx.tenant();
      const vectorClock = o.context === undefined ? undefined : parseClockArg(o.context);
      try {
        ctx.printer.delete(await ctx.gateway().delete({ tenant, key, consistency: o.consistency, vectorClock }));
      } catch (err) {
        // For deletes 404 also means "now absent" (http-api.md §3.3); like `rm -f`, nothing is printed then.
        if (o.ignoreMissing && err instanceof PairdbError && err.code === 'KEY_NOT_FOUND') {
          ctx.note(`note: ${key} did not exist`);
          return;
        }
        throw err;
      }
    }),
  );
  return cmd;
}
