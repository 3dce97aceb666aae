import { Command, CommanderError } from 'commander';
import { PairdbError } from './core/errors.js';
import { EXIT } from './core/exit-codes.js';
import { commitlogCommand } from './commands/commitlog.js';
import { coordinatorCommand } from './commands/coordinator.js';
import { deleteCommand } from './commands/delete.js';
import { gatewayCommand } from './commands/gateway.js';
import { getCommand } from './commands/get.js';
import { migrationCommand } from './commands/migration.js';
import { nodeCommand } from './commands/node.js';
import { defaultDeps, resolveFormat, type CliDeps, type ClientFlags, type OutputFormat } from './commands/output/context.js';
import { renderError } from './commands/output/errors.js';
import { putCommand } from './commands/put.js';
import { sstableCommand } from './commands/sstable.js';
import { repairCommand } from './commands/repair.js';
import { statusCommand } from './commands/status.js';
import { storageCommand } from './commands/storage.js';
import { STORAGE_ADMIN_SUBCOMMANDS } from './commands/storage-admin.js';
import { tenantCommand } from './commands/tenant.js';
import { upCommand } from './commands/up.js';
import { pairdbVersion, versionCommand } from './commands/version.js';

/**
 * The `pairdb` program: one binary for the daemons, the client and the tools (cli-and-ops.md §2). Only this file
 * registers commands; each command file exports a factory.
 */

const DAEMONS = new Set(['gateway', 'coordinator', 'storage']);

/** What the error report needs to know about the command that failed. */
interface RunState {
  format: OutputFormat | undefined;
  debug: boolean;
}

function applyToTree(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) applyToTree(sub, fn);
}

export function buildProgram(deps: CliDeps = defaultDeps(), state?: RunState): Command {
  const program = new Command('pairdb')
    .description('pairDB: a distributed, multi-tenant key-value store. One binary: daemons, client and tools.')
    .version(pairdbVersion(), '-V, --version', 'print the version')
    .addHelpText(
      'after',
      '\nStart a local cluster with `npx pairdb up`, then `pairdb put --tenant demo hello world`.\n' +
        'Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 conflict, 5 unavailable, 6 auth, 7 corruption, 130 interrupted.',
    );

  program.commandsGroup('Local:').addCommand(upCommand(deps));
  program.commandsGroup('Daemons:').addCommand(gatewayCommand()).addCommand(coordinatorCommand()).addCommand(storageCommand(deps));
  program.commandsGroup('Data:').addCommand(putCommand(deps)).addCommand(getCommand(deps)).addCommand(deleteCommand(deps));
  program.commandsGroup('Tenants:').addCommand(tenantCommand(deps));
  program
    .commandsGroup('Cluster:')
    .addCommand(nodeCommand(deps))
    .addCommand(migrationCommand(deps))
    .addCommand(statusCommand(deps))
    .addCommand(repairCommand(deps));
  program.commandsGroup('Tools:').addCommand(commitlogCommand(deps)).addCommand(sstableCommand(deps));
  program.commandsGroup('Other:').addCommand(versionCommand(deps));

  // Commands built by factories don't inherit settings, so every node of the tree gets them here.
  applyToTree(program, (c) => {
    c.exitOverride();
    c.configureOutput({
      writeOut: (s) => deps.io.stdout.write(s),
      writeErr: (s) => deps.io.stderr.write(s),
      // Usage errors are reported by main() in the one-line format (or JSON).
      outputError: () => undefined,
    });
    c.showSuggestionAfterError(true);
  });

  program.hook('preAction', (_program, action) => {
    // A daemon itself (not an admin subcommand such as `storage stats`) has no client flags.
    if (!state || (DAEMONS.has(topLevelName(action)) && action.parent?.parent == null)) return;
    const flags = action.opts<ClientFlags>();
    // JSON errors only when JSON was asked for (-o or PAIRDB_OUTPUT); a json default because stdout is a pipe
    // keeps the one-line text error that people and CI logs read (docs/DECISIONS.md).
    const source = action.getOptionValueSource('output');
    state.format = source === 'cli' || source === 'env' ? resolveFormat(flags.output, false) : 'table';
    state.debug = flags.debug === true && (action.getOptionValueSource('debug') !== 'env' || ['1', 'true'].includes(process.env.PAIRDB_DEBUG ?? ''));
  });
  return program;
}

function topLevelName(cmd: Command): string {
  let c = cmd;
  while (c.parent && c.parent.parent) c = c.parent;
  return c.name();
}

/** `-o` as written on the command line, for errors raised before any action ran (usage errors). */
function formatFromArgv(args: string[], deps: CliDeps): OutputFormat {
  const positional = args.filter((a) => !a.startsWith('-'));
  const first = positional[0];
  if (first && DAEMONS.has(first) && !(first === 'storage' && STORAGE_ADMIN_SUBCOMMANDS.includes(positional[1] ?? ''))) return 'table';
  let output: string | undefined = deps.io.env.PAIRDB_OUTPUT || process.env.PAIRDB_OUTPUT || undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((a === '-o' || a === '--output') && i + 1 < args.length) output = args[i + 1];
    else if (a.startsWith('--output=')) output = a.slice('--output='.length);
    else if (a.startsWith('-o') && a.length > 2 && !a.startsWith('--')) output = a.slice(2);
  }
  return output === 'json' || output === 'ndjson' ? output : 'table';
}

/**
 * Parses and runs one command line. Resolves with the exit code of a failure, or undefined on success (daemon
 * commands set `process.exitCode` themselves, which must not be overwritten).
 */
export async function main(argv: string[], deps: CliDeps = defaultDeps()): Promise<number | undefined> {
  const state: RunState = { format: undefined, debug: false };
  const args = argv.slice(2);
  const debug = (): boolean => state.debug || args.includes('--debug') || ['1', 'true'].includes(deps.io.env.PAIRDB_DEBUG ?? '');
  try {
    await buildProgram(deps, state).parseAsync(argv);
    return undefined;
  } catch (err) {
    const format = state.format ?? formatFromArgv(args, deps);
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.OK;
      // A command group without its subcommand: commander already printed the help.
      if (err.code === 'commander.help') return EXIT.USAGE;
      const message = err.message.replace(/^error: /, '');
      const usage = new PairdbError('USAGE', message, { hint: 'see `pairdb <command> --help`' });
      deps.io.stderr.write(renderError(usage, format));
      return EXIT.USAGE;
    }
    const e = PairdbError.from(err);
    deps.io.stderr.write(renderError(e, format, debug()));
    return e.exitCode;
  }
}

/** Entry point of `bin/pairdb`. */
export async function run(argv: string[]): Promise<void> {
  const code = await main(argv);
  if (code !== undefined) process.exitCode = code;
}
