import { Command } from 'commander';
import { parseDuration, parsePort } from '../core/config/units.js';
import { PairdbError } from '../core/errors.js';
import { type LogLevel, createLogger } from '../core/observability/logger.js';
import { COORDINATOR_DEFAULTS, CoordinatorDaemon } from '../daemons/coordinator.js';
import { flag } from './options.js';
import { runDaemon } from './run-daemon.js';

/** `pairdb coordinator` (cli-and-ops.md §2.2, §4 "coordinator"): runs the coordinator in the foreground. */

interface CoordinatorFlags {
  nodeId: string;
  dataDir?: string;
  host: string;
  port: string;
  adminPort: string;
  replicaTimeout: string;
  writeTimeout: string;
  readTimeout: string;
  readRepair: string;
  readRepairQueue: string;
  tenantCacheTtl: string;
  shutdownTimeout: string;
  repairInterval: string;
  migrationTimeout: string;
  migrationCleanupGrace: string;
  migrationPollInterval: string;
  migrationSourceDownGrace: string;
  logLevel: string;
}

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
const NODE_ID = /^[A-Za-z0-9._-]{1,128}$/;
/**
 * gc-grace of the storage nodes (cli-and-ops.md §4 default). The coordinator has no gc-grace flag yet, so the
 * repair interval is checked against the default: a tombstone must be repaired onto every replica before any
 * replica may purge it, or the deleted value comes back.
 */
const GC_GRACE_MS = 10 * 86_400_000;

/** `--repair-interval`: 0 = off, else MUST be < gc-grace (cluster.md §14, cli-and-ops.md §4). */
export function repairIntervalMs(text: string, gcGraceMs = GC_GRACE_MS): number {
  const ms = parseDuration(text, '--repair-interval');
  if (ms > 0 && ms >= gcGraceMs) {
    throw new PairdbError('USAGE', `--repair-interval (${text}) must be below gc-grace (${gcGraceMs / 86_400_000}d)`, {
      hint: 'repair more often than tombstones are purged, or deleted data can come back',
    });
  }
  return ms;
}

function positiveDuration(text: string, what: string): number {
  const ms = parseDuration(text, what);
  if (ms <= 0) throw new PairdbError('USAGE', `${what} must be above 0`);
  return ms;
}

export function coordinatorCommand(): Command {
  return new Command('coordinator')
    .description('run a coordinator: ring, quorum, vector clocks, tenants and storage-node registry (gRPC CoordinatorService)')
    .addOption(flag('--node-id <id>', 'vector-clock actor of this coordinator; MUST be stable and unique', COORDINATOR_DEFAULTS.nodeId))
    .addOption(flag('--data-dir <dir>', 'directory of the embedded metadata (LOCK, metadata/metadata.json); required'))
    .addOption(flag('--host <addr>', 'bind address', COORDINATOR_DEFAULTS.host))
    .addOption(flag('--port <port>', 'gRPC port', String(COORDINATOR_DEFAULTS.port)))
    .addOption(flag('--admin-port <port>', 'admin HTTP port (/livez /readyz /metrics); 0 = off', String(COORDINATOR_DEFAULTS.adminPort)))
    .addOption(flag('--replica-timeout <duration>', 'deadline of each storage RPC', '2s'))
    .addOption(flag('--write-timeout <duration>', 'time to reach the required write acks', '5s'))
    .addOption(flag('--read-timeout <duration>', 'time to reach the required read replies', '3s'))
    .addOption(flag('--read-repair <mode>', 'async | sync | off', COORDINATOR_DEFAULTS.readRepair))
    .addOption(flag('--read-repair-queue <n>', 'queued asynchronous read repairs before new ones are dropped', String(COORDINATOR_DEFAULTS.readRepairQueue)))
    .addOption(flag('--tenant-cache-ttl <duration>', 'how long a tenant config is cached', '5m'))
    .addOption(flag('--shutdown-timeout <duration>', 'drain time on SIGTERM before connections are forced', '30s'))
    .addOption(flag('--repair-interval <duration>', 'periodic anti-entropy repair of every tenant; 0 = off; must be below gc-grace (10d)', '0'))
    .addOption(flag('--migration-timeout <duration>', 'a migration not past handover_read by then rolls back', '1h'))
    .addOption(flag('--migration-cleanup-grace <duration>', "how long losers keep a completed migration's old copies before they are dropped", '24h'))
    .addOption(flag('--migration-poll-interval <duration>', 'how often the migration driver polls stream status and saves checkpoints', '2s'))
    .addOption(flag('--migration-source-down-grace <duration>', 'a stream source down this long is replaced by the other replicas', '60s'))
    .addOption(flag('--log-level <level>', 'trace | debug | info | warn | error | fatal', 'info'))
    .action(async (opts: CoordinatorFlags) => {
      if (!NODE_ID.test(opts.nodeId)) throw new PairdbError('USAGE', '--node-id must be 1-128 characters of [A-Za-z0-9._-]');
      if (!opts.dataDir) {
        throw new PairdbError('USAGE', '--data-dir is required with embedded metadata', { hint: 'e.g. --data-dir ./.pairdb/coordinator' });
      }
      if (!['async', 'sync', 'off'].includes(opts.readRepair)) throw new PairdbError('USAGE', '--read-repair must be async, sync or off');
      if (!LOG_LEVELS.has(opts.logLevel)) throw new PairdbError('USAGE', `--log-level must be one of ${[...LOG_LEVELS].join(', ')}`);
      const queue = Number(opts.readRepairQueue);
      if (!Number.isInteger(queue) || queue < 0) throw new PairdbError('USAGE', '--read-repair-queue must be a whole number');
      const adminPort = parsePort(opts.adminPort, '--admin-port');
      const repairEvery = repairIntervalMs(opts.repairInterval);
      const log = createLogger('coordinator', opts.nodeId, opts.logLevel as LogLevel);
      const daemon = new CoordinatorDaemon(
        {
          nodeId: opts.nodeId,
          dataDir: opts.dataDir,
          host: opts.host,
          port: parsePort(opts.port, '--port'),
          // On the command line 0 turns the admin port off (cli-and-ops.md §4); the class takes null for that.
          adminPort: adminPort === 0 ? null : adminPort,
          replicaTimeoutMs: positiveDuration(opts.replicaTimeout, '--replica-timeout'),
          writeTimeoutMs: positiveDuration(opts.writeTimeout, '--write-timeout'),
          readTimeoutMs: positiveDuration(opts.readTimeout, '--read-timeout'),
          readRepair: opts.readRepair as 'async' | 'sync' | 'off',
          readRepairQueue: queue,
          tenantCacheTtlMs: parseDuration(opts.tenantCacheTtl, '--tenant-cache-ttl'),
          shutdownTimeoutMs: positiveDuration(opts.shutdownTimeout, '--shutdown-timeout'),
          repairIntervalMs: repairEvery,
          migrationTimeoutMs: positiveDuration(opts.migrationTimeout, '--migration-timeout'),
          migrationCleanupGraceMs: parseDuration(opts.migrationCleanupGrace, '--migration-cleanup-grace'),
          migrationPollMs: positiveDuration(opts.migrationPollInterval, '--migration-poll-interval'),
          migrationSourceDownGraceMs: positiveDuration(opts.migrationSourceDownGrace, '--migration-source-down-grace'),
        },
        log,
      );
      process.exitCode = await runDaemon('coordinator', daemon, log);
    });
}
