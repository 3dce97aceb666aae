import { Command } from 'commander';
import { checkMigrationOutcome } from '../core/client/migration-watch.js';
import { DEFAULT_WATCH_INTERVAL, followMigration, parseWatchInterval } from './migration-follow.js';
import { addClientOptions, withContext, type CliDeps } from './output/context.js';

/** `pairdb migration status <id> [--watch] [--interval 2s]` over the admin plane (http-api.md §8.4). */
export function migrationCommand(deps: CliDeps): Command {
  const migration = new Command('migration').description('follow topology changes (node additions/removals, replication changes)');

  const status = new Command('status')
    .description('show a migration; --watch follows it to the end (exit 0 completed, 1 failed/cancelled)')
    .argument('<id>', 'migration id (mig-…), as printed by node add/remove and tenant update --rf')
    .option('--watch', 'poll until the migration is completed, failed or cancelled (Ctrl-C stops watching, not the migration)')
    .option('--interval <duration>', 'time between polls with --watch', DEFAULT_WATCH_INTERVAL)
    .addHelpText('after', '\nExamples:\n  pairdb migration status mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e\n  pairdb migration status mig-… --watch -o ndjson\n');
  addClientOptions(status);
  status.action(async (id: string, _o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<{ watch?: boolean; interval: string }>();
      const intervalMs = parseWatchInterval(o.interval);
      if (o.watch) {
        await followMigration(ctx, id, intervalMs);
        return;
      }
      const m = await ctx.gateway().getMigration(id);
      ctx.printer.migration(m);
      checkMigrationOutcome(m);
    }),
  );

  return migration.addCommand(status);
}
