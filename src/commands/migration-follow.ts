import type { MigrationBody } from '../core/client/api-types.js';
import { checkMigrationOutcome, watchMigration } from '../core/client/migration-watch.js';
import { EtaEstimator, migrationProgressLine } from '../core/client/progress-text.js';
import { parseDuration } from '../core/config/units.js';
import { PairdbError } from '../core/errors.js';
import type { CliContext } from './output/context.js';
import { interruptOnSigint } from './output/interrupt.js';
import { progressDisplay } from './output/progress.js';

/**
 * Following a migration to its end, shared by `migration status --watch` and the `--wait` of `node add`, `node
 * remove` and `tenant update --rf` (cli-and-ops.md §2.4–2.5). ndjson (the default when stdout is not a terminal):
 * one line per poll on stdout. Otherwise the bar (or ≤1 note per 10 s) on stderr and the final status printed as
 * usual. Exit 0 completed, 1 failed/cancelled, 130 on Ctrl-C (the migration goes on).
 */

export const DEFAULT_WATCH_INTERVAL = '2s';

export function parseWatchInterval(text: string): number {
  const ms = parseDuration(text, '--interval');
  if (ms < 100) throw new PairdbError('USAGE', `--interval must be at least 100ms, got ${JSON.stringify(text)}`);
  return ms;
}

export async function followMigration(ctx: CliContext, migrationId: string, intervalMs: number): Promise<MigrationBody> {
  const gateway = ctx.gateway();
  // A json default only because stdout is a pipe means a stream here (cli-and-ops.md §1: ndjson for the watch).
  const perPoll = ctx.format === 'ndjson' || (ctx.format === 'json' && ctx.flags.output === undefined);
  const display = perPoll ? undefined : progressDisplay(ctx.io.stderr, { quiet: ctx.flags.quiet === true });
  const eta = new EtaEstimator();
  const interrupt = interruptOnSigint();
  let final: MigrationBody;
  try {
    final = await watchMigration({
      fetch: () => gateway.getMigration(migrationId),
      intervalMs,
      signal: interrupt.signal,
      onPoll: (m) => {
        if (perPoll) {
          ctx.io.stdout.write(`${JSON.stringify(m)}\n`);
          return;
        }
        eta.sample(Date.now(), m.progress.keys_migrated);
        display!.update(migrationProgressLine(m, eta.secondsLeft(m.progress.total_keys)), m.progress.keys_migrated, m.progress.total_keys);
      },
    });
  } finally {
    display?.stop();
    interrupt.dispose();
  }
  if (!perPoll) ctx.printer.migration(final);
  checkMigrationOutcome(final);
  return final;
}
