import { Option } from 'commander';

/**
 * Declares a flag once; its env var follows mechanically (cli-and-ops.md §1): `--data-dir` ↔ `PAIRDB_DATA_DIR`.
 * `flags` is commander syntax, e.g. '--data-dir <dir>'.
 */
export function flag(flags: string, description: string, defaultValue?: string | boolean): Option {
  const long = /--([a-z0-9-]+)/.exec(flags)?.[1];
  const opt = new Option(flags, description);
  if (long) opt.env(`PAIRDB_${long.replace(/-/g, '_').toUpperCase()}`);
  if (defaultValue !== undefined) opt.default(defaultValue);
  return opt;
}
