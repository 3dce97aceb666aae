import { randomUUID } from 'node:crypto';
import { Chalk } from 'chalk';
import { Command } from 'commander';
import { EtaEstimator, repairProgressLine } from '../core/client/progress-text.js';
import { PairdbError } from '../core/errors.js';
import type * as pb from '../core/rpc/types.js';
import { parseIntArg, parseRangeArg } from './output/args.js';
import { addClientOptions, withContext, type CliDeps } from './output/context.js';
import { interruptOnSigint } from './output/interrupt.js';
import { progressDisplay } from './output/progress.js';
import { renderTable } from './output/table.js';

/**
 * `pairdb repair [--tenant T] [--node N] [--range START:END] [--depth D] [--dry-run]` (cli-and-ops.md §2.5, cluster.md
 * §14): anti-entropy through the coordinator's streaming Repair RPC. Progress on stderr (a bar with ETA on a terminal,
 * else a note every 10 s); the summary on stdout (`RANGES | MISMATCHED | KEYS STREAMED | DURATION`, or the final
 * progress object as JSON). Exit 0 converged, 5 when ranges were skipped for an unreachable replica, 1 when the run
 * failed or was aborted, 130 on Ctrl-C (the run is cancelled).
 */
export function repairCommand(deps: CliDeps): Command {
  const cmd = new Command('repair')
    .description('anti-entropy: compare Merkle digests of the replicas and stream only the differing keys (via the coordinator)')
    .option('--tenant <id>', 'only this tenant (default: every tenant)')
    .option('--node <id>', 'only the ranges this storage node holds')
    .option('--range <start:end>', 'only this ring range [start, end), decimal uint64; start > end wraps, start = end is the whole ring')
    .option('--depth <n>', 'Merkle depth: 2^depth leaves per range (1..16)', '10')
    .option('--dry-run', 'compare digests only; stream nothing')
    .addHelpText('after', '\nExamples:\n  pairdb repair --tenant acme\n  pairdb repair --node s4 --dry-run -o json\n  pairdb repair --range 0:9223372036854775808\n');
  addClientOptions(cmd, { tenant: false });
  cmd.action(async (_o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<{ tenant?: string; node?: string; range?: string; depth: string; dryRun?: boolean }>();
      const depth = parseIntArg(o.depth, '--depth', 1, 16);
      const range = o.range === undefined ? undefined : parseRangeArg(o.range);
      const started = Date.now();
      const display = progressDisplay(ctx.io.stderr, { quiet: ctx.flags.quiet === true });
      const eta = new EtaEstimator();
      const interrupt = interruptOnSigint();
      let last: pb.RepairProgress__Output | undefined;
      try {
        for await (const p of ctx.coordinator().repair(
          { tenant_id: o.tenant ?? '', node_id: o.node ?? '', depth, dry_run: o.dryRun === true, range },
          // No deadline of its own (rpc.md): a day bounds a stuck call.
          { requestId: randomUUID(), deadlineMs: Date.now() + 24 * 3_600_000, signal: interrupt.signal },
        )) {
          last = p;
          const ranges = p.ranges_done + p.ranges_skipped;
          eta.sample(Date.now(), ranges);
          display.update(repairProgressLine(p, eta.secondsLeft(p.ranges_total)), ranges, p.ranges_total);
        }
      } catch (err) {
        if (interrupt.signal.aborted) throw new PairdbError('INTERRUPTED', 'repair cancelled', { cause: err });
        throw err;
      } finally {
        display.stop();
        interrupt.dispose();
      }
      if (!last) throw new PairdbError('INTERNAL_ERROR', 'the coordinator ended the repair without a result');
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (ctx.format === 'json' || ctx.format === 'ndjson') ctx.io.stdout.write(`${JSON.stringify({ ...last, duration_s: Number(seconds) })}\n`);
      else if (ctx.format === 'simple') ctx.io.stdout.write(`${last.ranges_done}\t${last.leaves_mismatched}\t${last.keys_repaired}\t${seconds}\n`);
      else {
        ctx.io.stdout.write(
          renderTable(['RANGES', 'MISMATCHED', 'KEYS STREAMED', 'DURATION'], [[`${last.ranges_done}/${last.ranges_total}`, String(last.leaves_mismatched), String(last.keys_repaired), `${seconds}s`]], new Chalk({ level: 0 })),
        );
      }
      if (last.state !== 'REPAIR_COMPLETED') throw new PairdbError('INTERNAL_ERROR', `repair ${last.state.replace('REPAIR_', '').toLowerCase()}: ${last.message}`);
      if (last.ranges_skipped > 0) {
        const list = last.skipped_ranges.map((r) => `${r.start}:${r.end}`).join(', ');
        throw new PairdbError('SERVICE_UNAVAILABLE', `${last.ranges_skipped} range(s) skipped: a replica was unreachable (${list})`);
      }
    }),
  );
  return cmd;
}
