import { Command, Option } from 'commander';
import { PairdbError } from '../core/errors.js';
import type { ConflictMode, CreateTenantInput, RateLimitsJson, UpdateTenantInput } from '../core/client/api-types.js';
import { parseIntArg } from './output/args.js';
import { addClientOptions, withContext, type CliDeps } from './output/context.js';
import { DEFAULT_WATCH_INTERVAL, followMigration, parseWatchInterval } from './migration-follow.js';

interface TenantFlags {
  rf?: string;
  conflict?: ConflictMode;
  writeLimit?: string;
  readLimit?: string;
  wait?: boolean;
  interval?: string;
}

const MAX_LIMIT = 10_000_000;

/** `--write-limit N` per minute; `default` resets to the gateway's default (JSON null). */
function limitArg(text: string, name: string): number | null {
  return text === 'default' ? null : parseIntArg(text, name, 1, MAX_LIMIT);
}

function rateLimits(o: TenantFlags): Partial<RateLimitsJson> | undefined {
  const limits: Partial<RateLimitsJson> = {};
  if (o.writeLimit !== undefined) limits.writes_per_minute = limitArg(o.writeLimit, '--write-limit');
  if (o.readLimit !== undefined) limits.reads_per_minute = limitArg(o.readLimit, '--read-limit');
  return Object.keys(limits).length ? limits : undefined;
}

function settingsOptions(cmd: Command): Command {
  return cmd
    .option('--rf <n>', 'replication factor 1..10')
    .addOption(new Option('--conflict <mode>', 'conflict resolution').choices(['lww', 'siblings']))
    .option('--write-limit <n>', 'writes per minute (default: the gateway setting; "default" resets)')
    .option('--read-limit <n>', 'reads per minute (default: the gateway setting; "default" resets)');
}

/** `pairdb tenant create|get|update|list` over the admin plane (http-api.md §7). */
export function tenantCommand(deps: CliDeps): Command {
  const tenant = new Command('tenant').description('create, inspect and change tenants');

  const create = settingsOptions(new Command('create').description('create a tenant').argument('<id>', 'tenant id'));
  addClientOptions(create);
  create.action(async (id: string, _o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<TenantFlags>();
      const input: CreateTenantInput = { tenant_id: id };
      if (o.rf !== undefined) input.replication_factor = parseIntArg(o.rf, '--rf', 1, 10);
      if (o.conflict) input.conflict_resolution = o.conflict;
      const limits = rateLimits(o);
      if (limits) input.rate_limits = limits;
      ctx.printer.tenant(await ctx.gateway().createTenant(input));
    }),
  );

  const get = new Command('get').description('show a tenant').argument('<id>', 'tenant id');
  addClientOptions(get);
  get.action(async (id: string, _o: object, c: Command) =>
    withContext(deps, c, async (ctx) => ctx.printer.tenant(await ctx.gateway().getTenant(id))),
  );

  const update = settingsOptions(
    new Command('update').description('change replication factor, conflict mode or rate limits').argument('<id>', 'tenant id'),
  );
  update
    .option('--replication-factor <n>', 'the same as --rf')
    .option('--wait', 'with --rf: follow the replication_change migration to its end (exit 1 if it fails)')
    .option('--interval <duration>', 'time between polls with --wait', DEFAULT_WATCH_INTERVAL);
  addClientOptions(update);
  update.action(async (id: string, _o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<TenantFlags & { replicationFactor?: string }>();
      if (o.replicationFactor !== undefined) {
        if (o.rf !== undefined && o.rf !== o.replicationFactor) throw new PairdbError('USAGE', '--rf and --replication-factor disagree');
        o.rf = o.replicationFactor;
      }
      const limits = rateLimits(o);
      const patch: UpdateTenantInput = {};
      if (o.conflict) patch.conflict_resolution = o.conflict;
      if (limits) patch.rate_limits = limits;
      const patching = Object.keys(patch).length > 0;
      if (o.wait && o.rf === undefined) throw new PairdbError('USAGE', '--wait follows a replication change: it needs --rf');
      if (o.rf !== undefined && patching) {
        // Two endpoints with two answers (a migration vs the tenant object): one at a time keeps -o json exact.
        throw new PairdbError('USAGE', '--rf cannot be combined with --conflict or limits', {
          hint: 'run `pairdb tenant update` twice: once with --rf, once with the other settings',
        });
      }
      if (o.rf !== undefined) {
        const rf = parseIntArg(o.rf, '--rf', 1, 10);
        const intervalMs = parseWatchInterval(o.interval ?? DEFAULT_WATCH_INTERVAL);
        const body = await ctx.gateway().updateReplicationFactor(id, rf);
        ctx.printer.replicationChange(body);
        // migration_id null: the factor was already rf, nothing moves.
        if (o.wait && body.migration_id) await followMigration(ctx, body.migration_id, intervalMs);
        return;
      }
      if (!patching) {
        throw new PairdbError('USAGE', 'nothing to update', { hint: 'pass --rf, --conflict, --write-limit or --read-limit' });
      }
      ctx.printer.tenant(await ctx.gateway().updateTenant(id, patch));
    }),
  );

  const list = new Command('list')
    .description('list tenants, ascending by id (one page)')
    .option('--limit <n>', 'page size 1..1000', '100')
    .option('--cursor <id>', 'continue after this tenant id (the next_cursor of the previous page)');
  addClientOptions(list);
  list.action(async (_o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<{ limit: string; cursor?: string }>();
      const limit = parseIntArg(o.limit, '--limit', 1, 1000);
      ctx.printer.tenantList(await ctx.gateway().listTenants({ limit, cursor: o.cursor }));
    }),
  );

  return tenant.addCommand(create).addCommand(get).addCommand(update).addCommand(list);
}
