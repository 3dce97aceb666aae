import { Command } from 'commander';
import { parseDuration, parsePort, parseSize } from '../core/config/units.js';
import { PairdbError } from '../core/errors.js';
import { EXIT } from '../core/exit-codes.js';
import { createLogger, type LogLevel } from '../core/observability/logger.js';
import { StorageDaemon, type StorageDaemonConfig } from '../daemons/storage.js';
import { flag } from './options.js';
import { defaultDeps, type CliDeps } from './output/context.js';
import { storageAdminCommands } from './storage-admin.js';
import { runDaemon } from './run-daemon.js';

/** Flag values as commander hands them over. */
interface StorageFlags {
  nodeId: string;
  dataDir: string;
  host: string;
  port: string;
  adminPort: string;
  commitlogSync: string;
  commitlogSyncInterval: string;
  commitlogSegmentSize: string;
  memtableSize: string;
  /** `--row-cache-size` (§7 row_cache_bytes); absent = the engine default, 128MiB. */
  rowCacheSize?: string;
  flushOnShutdown: string;
  /** `--disk-warn/--disk-throttle/--disk-reject`: % used (storage-engine.md §9); absent = 80/90/95. */
  diskWarn?: string;
  diskThrottle?: string;
  diskReject?: string;
  shutdownTimeout: string;
  logLevel: string;
  engine: string;
  /** `--quarantine-corrupt` (storage-engine.md §5 step 3). */
  quarantineCorrupt?: boolean;
  /** `--allow-stale-rejoin` (cluster.md §2 stale-node rule). */
  allowStaleRejoin?: boolean;
  /** Engine tuning (cli-and-ops.md §4 storage keys; storage-engine.md §4, §6, §7); absent = spec defaults. */
  blockSize?: string;
  bloomBitsPerKey?: string;
  blockCacheSize?: string;
  l0CompactionTrigger?: string;
  level1Size?: string;
  levelMultiplier?: string;
  maxLevel?: string;
  targetFileSize?: string;
  compactionRate?: string;
  gcGrace?: string;
  hintWindow?: string;
}

/** An integer flag within [min, max]. */
function parseIntFlag(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new PairdbError('USAGE', `invalid ${what} ${JSON.stringify(text)} (an integer from ${min} to ${max})`);
  }
  return n;
}

/** The engine tuning flags (USAGE errors for bad values; gc-grace must exceed hint-window, storage-engine.md §6). */
function engineTuningFromFlags(f: StorageFlags): StorageDaemonConfig['tuning'] {
  const MiB = 1024 * 1024;
  const blockBytes = parseSize(f.blockSize ?? '4KiB', '--block-size');
  if (blockBytes < 512 || blockBytes > 16 * MiB) throw new PairdbError('USAGE', '--block-size must be from 512B to 16MiB');
  const bloomBitsPerKey = parseIntFlag(f.bloomBitsPerKey ?? '10', '--bloom-bits-per-key', 1, 64);
  const gcGraceMs = parseDuration(f.gcGrace ?? '10d', '--gc-grace');
  const hintWindowMs = parseDuration(f.hintWindow ?? '3h', '--hint-window');
  if (!(gcGraceMs > hintWindowMs)) {
    throw new PairdbError('USAGE', `--gc-grace (${f.gcGrace ?? '10d'}) must exceed --hint-window (${f.hintWindow ?? '3h'}): a hint replayed after a purge would resurrect deleted data`);
  }
  const level1 = parseSize(f.level1Size ?? '256MiB', '--level1-size');
  const targetFile = parseSize(f.targetFileSize ?? '32MiB', '--target-file-size');
  if (level1 < 64 * 1024 || targetFile < 64 * 1024) throw new PairdbError('USAGE', '--level1-size and --target-file-size must be at least 64KiB');
  return {
    blockBytes,
    bloomBitsPerKey,
    ...(f.blockCacheSize !== undefined ? { blockCacheBytes: parseSize(f.blockCacheSize, '--block-cache-size') } : {}),
    compactionBytesPerSec: parseSize(f.compactionRate ?? '64MiB', '--compaction-rate'),
    compaction: {
      l0Trigger: parseIntFlag(f.l0CompactionTrigger ?? '4', '--l0-compaction-trigger', 1, 1000),
      l1TargetBytes: level1,
      levelMultiplier: parseIntFlag(f.levelMultiplier ?? '10', '--level-multiplier', 2, 1000),
      maxLevel: parseIntFlag(f.maxLevel ?? '6', '--max-level', 1, 6),
      targetFileBytes: targetFile,
      gcGraceMs,
    },
  };
}

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
const NODE_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** Turns the flags into a StorageDaemonConfig (USAGE errors for bad values). */
export function storageConfigFromFlags(f: StorageFlags): StorageDaemonConfig {
  if (!NODE_ID_RE.test(f.nodeId)) throw new PairdbError('USAGE', `invalid --node-id ${JSON.stringify(f.nodeId)} ([A-Za-z0-9._-]{1,128})`);
  if (f.dataDir.trim() === '') throw new PairdbError('USAGE', '--data-dir must not be empty');
  if (f.commitlogSync !== 'batch' && f.commitlogSync !== 'periodic') {
    throw new PairdbError('USAGE', `invalid --commitlog-sync ${JSON.stringify(f.commitlogSync)} (batch or periodic)`);
  }
  if (f.engine !== 'lsm' && f.engine !== 'echo') throw new PairdbError('USAGE', `invalid --engine ${JSON.stringify(f.engine)}`);
  const interval = parseDuration(f.commitlogSyncInterval, '--commitlog-sync-interval');
  if (interval < 1) throw new PairdbError('USAGE', '--commitlog-sync-interval must be at least 1ms');
  const segment = parseSize(f.commitlogSegmentSize, '--commitlog-segment-size');
  if (segment < 64 * 1024) throw new PairdbError('USAGE', '--commitlog-segment-size must be at least 64KiB');
  const memtable = parseSize(f.memtableSize, '--memtable-size');
  if (memtable < 64 * 1024) throw new PairdbError('USAGE', '--memtable-size must be at least 64KiB');
  // 0 disables the row cache (§7).
  const rowCache = f.rowCacheSize === undefined ? undefined : parseSize(f.rowCacheSize, '--row-cache-size');
  if (f.flushOnShutdown !== 'true' && f.flushOnShutdown !== 'false') {
    throw new PairdbError('USAGE', `invalid --flush-on-shutdown ${JSON.stringify(f.flushOnShutdown)} (true or false)`);
  }
  const adminPort = parsePort(f.adminPort, '--admin-port');
  const disk = {
    warn: parsePercent(f.diskWarn ?? '80', '--disk-warn'),
    throttle: parsePercent(f.diskThrottle ?? '90', '--disk-throttle'),
    reject: parsePercent(f.diskReject ?? '95', '--disk-reject'),
  };
  if (!(disk.warn <= disk.throttle && disk.throttle <= disk.reject)) {
    throw new PairdbError('USAGE', '--disk-warn, --disk-throttle and --disk-reject must not decrease (e.g. 80, 90, 95)');
  }
  return {
    nodeId: f.nodeId,
    dataDir: f.dataDir,
    host: f.host,
    port: parsePort(f.port, '--port'),
    // admin-port 0 = off (cli-and-ops.md §4)
    adminPort: adminPort === 0 ? null : adminPort,
    commitlogSync: f.commitlogSync,
    commitlogSyncIntervalMs: interval,
    commitlogSegmentBytes: segment,
    memtableBytes: memtable,
    ...(rowCache !== undefined ? { rowCacheBytes: rowCache } : {}),
    flushOnShutdown: f.flushOnShutdown === 'true',
    diskThresholds: disk,
    shutdownTimeoutMs: parseDuration(f.shutdownTimeout, '--shutdown-timeout'),
    engine: f.engine,
    quarantineCorrupt: f.quarantineCorrupt === true,
    allowStaleRejoin: f.allowStaleRejoin === true,
    tuning: engineTuningFromFlags(f),
  };
}

/** A disk threshold flag: % used, 0 < p ≤ 100, as a usage ratio. */
function parsePercent(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!(n > 0 && n <= 100)) throw new PairdbError('USAGE', `invalid ${what} ${JSON.stringify(text)} (% of the disk used, 0 < p ≤ 100)`);
  return n / 100;
}

/**
 * `pairdb storage [flags]`: one storage node (cli-and-ops.md §2.2, §4). The daemon takes no positional argument, so
 * a first argument naming an admin subcommand (`flush`, `compact`, `stats`, `snapshot`, `restore`; §2.6) dispatches to it.
 */
export function storageCommand(deps: CliDeps = defaultDeps()): Command {
  const cmd = new Command('storage')
    .description(
      'run a storage node in the foreground (logs on stderr); `storage flush|compact|stats|snapshot` administer a running one, `storage restore` an offline data dir',
    )
    // Not makeOptionMandatory: commander checks a parent's mandatory options for its subcommands too, which would
    // make `storage stats` require --node-id. The action checks them with commander's own message (USAGE, exit 2).
    .addOption(flag('--node-id <id>', 'stable, unique node id ([A-Za-z0-9._-]{1,128}) (required)'))
    .addOption(flag('--data-dir <dir>', 'data directory (LOCK, commit log) (required)'))
    .addOption(flag('--host <host>', 'bind address', '127.0.0.1'))
    .addOption(flag('--port <port>', 'gRPC port', '50052'))
    .addOption(flag('--admin-port <port>', 'admin HTTP port (/livez /readyz /metrics); 0 = off', '9102'))
    .addOption(flag('--commitlog-sync <mode>', 'batch: group commit, ack after fsync; periodic: fsync every interval', 'batch'))
    .addOption(flag('--commitlog-sync-interval <duration>', 'fsync interval in periodic mode', '1s'))
    .addOption(flag('--commitlog-segment-size <size>', 'commit-log segment size', '64MiB'))
    .addOption(flag('--memtable-size <size>', 'memtable flush threshold; writes stall while a second flush would be needed', '64MiB'))
    .addOption(flag('--row-cache-size <size>', 'row cache (W-TinyLFU) size; 0 disables it', '128MiB'))
    .addOption(flag('--disk-warn <percent>', 'disk used %: log once a minute, health degraded', '80'))
    .addOption(flag('--disk-throttle <percent>', 'disk used %: client writes limited to 8MiB/s', '90'))
    .addOption(flag('--disk-reject <percent>', 'disk used %: writes fail RESOURCE_EXHAUSTED, reads go on', '95'))
    .addOption(flag('--flush-on-shutdown <bool>', 'flush the memtable to an SSTable on shutdown (true|false)', 'true'))
    .addOption(flag('--block-size <size>', 'SSTable data block size', '4KiB'))
    .addOption(flag('--bloom-bits-per-key <n>', 'bloom filter bits per key (10 ≈ 0.8% false positives)', '10'))
    .addOption(flag('--block-cache-size <size>', 'block cache size', '64MiB'))
    .addOption(flag('--l0-compaction-trigger <n>', 'L0 tables that start an L0 → L1 compaction', '4'))
    .addOption(flag('--level1-size <size>', 'L1 target size (Ln = L1 × multiplier^(n−1))', '256MiB'))
    .addOption(flag('--level-multiplier <n>', 'size ratio between adjacent levels', '10'))
    .addOption(flag('--max-level <n>', 'deepest level (unbounded), 1..6', '6'))
    .addOption(flag('--target-file-size <size>', 'compaction output tables split at this size', '32MiB'))
    .addOption(flag('--compaction-rate <size>', 'compaction output bytes per second (0 = unlimited)', '64MiB'))
    .addOption(flag('--gc-grace <duration>', 'tombstone purge age; must exceed --hint-window', '10d'))
    .addOption(flag('--hint-window <duration>', 'the coordinators\' hint window (checked against --gc-grace)', '3h'))
    .addOption(flag('--quarantine-corrupt', 'at start, move an unopenable SSTable to quarantine/ and start degraded (default: refuse, exit 7)'))
    .addOption(flag('--allow-stale-rejoin', 'start even if this node was down longer than --gc-grace (default: refuse, exit 4); repair it before trusting its data'))
    .addOption(flag('--shutdown-timeout <duration>', 'drain time for in-flight requests on SIGTERM', '30s'))
    .addOption(flag('--log-level <level>', 'trace|debug|info|warn|error|fatal', 'info'))
    .addOption(flag('--engine <kind>', 'lsm (default) or echo (benchmark baseline: no storage)', 'lsm').hideHelp())
    .action(async (f: StorageFlags, c: Command) => {
      for (const [value, name] of [[f.nodeId, "'--node-id <id>'"], [f.dataDir, "'--data-dir <dir>'"]] as const) {
        if (value === undefined) throw new PairdbError('USAGE', `required option ${name} not specified`);
      }
      // commander turns a boolean flag on for any value of its env var; cli-and-ops.md §1 booleans are true|false|1|0.
      for (const [key, env] of [['quarantineCorrupt', 'PAIRDB_QUARANTINE_CORRUPT'], ['allowStaleRejoin', 'PAIRDB_ALLOW_STALE_REJOIN']] as const) {
        if (c.getOptionValueSource(key) !== 'env') continue;
        const text = (process.env[env] ?? '').toLowerCase();
        if (!['true', 'false', '1', '0'].includes(text)) throw new PairdbError('USAGE', `invalid ${env} ${JSON.stringify(text)} (true|false|1|0)`);
        f[key] = text === 'true' || text === '1';
      }
      if (!LOG_LEVELS.has(f.logLevel)) throw new PairdbError('USAGE', `invalid --log-level ${JSON.stringify(f.logLevel)}`);
      const config = storageConfigFromFlags(f);
      const log = createLogger('storage', config.nodeId, f.logLevel as LogLevel);
      // An fsync/fdatasync failure is fatal (storage-engine.md §0): nothing more may be acked, exit 74 (EX_IOERR).
      const onFatal = (err: Error): void => {
        log.fatal({ err }, 'storage I/O error; exiting');
        process.exit(EXIT.IO_ERROR);
      };
      process.exitCode = await runDaemon('storage', new StorageDaemon(config, log, onFatal), log);
    });
  cmd.commandsGroup('Admin commands (against a running node):');
  for (const sub of storageAdminCommands(deps)) cmd.addCommand(sub);
  return cmd;
}
