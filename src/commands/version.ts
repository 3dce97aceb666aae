import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addOutputOptions, withContext, type CliDeps } from './output/context.js';
import type { VersionInfo } from './output/printer.js';

/** The package version, read from package.json (two levels up from both src/commands and dist/commands). */
export function pairdbVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function versionInfo(): VersionInfo {
  return { version: pairdbVersion(), node: process.versions.node, api: 'pairdb.v1', sstable_format: 1 };
}

/** `pairdb version [-o json]` → `{version, node, api:"pairdb.v1", sstable_format:1}` (cli-and-ops.md §2). */
export function versionCommand(deps: CliDeps): Command {
  const cmd = new Command('version').description('print the version of pairdb, Node.js, the API and the SSTable format');
  addOutputOptions(cmd);
  cmd.action(async (_o: object, c: Command) => withContext(deps, c, async (ctx) => ctx.printer.version(versionInfo())));
  return cmd;
}
