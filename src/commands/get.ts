import { Command, Option } from 'commander';
import type { Consistency } from '../core/client/api-types.js';
import { addClientOptions, withContext, type CliDeps } from './output/context.js';
import { CONSISTENCY_LEVELS } from './put.js';

/** `pairdb get [--tenant T] <key> [--consistency C]`; a missing key exits 3 (KEY_NOT_FOUND). */
export function getCommand(deps: CliDeps): Command {
  const cmd = new Command('get')
    .description('read a value (simple: the bare value; siblings one per line)')
    .argument('<key>', 'the key')
    .addOption(new Option('--consistency <level>', 'consistency level (default: quorum)').choices(CONSISTENCY_LEVELS));
  addClientOptions(cmd);
  cmd.action(async (key: string, _o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<{ consistency?: Consistency }>();
      const body = await ctx.gateway().get({ tenant: ctx.tenant(), key, consistency: o.consistency });
      ctx.printer.get(body);
    }),
  );
  return cmd;
}
