import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Command, Option } from 'commander';
import { PairdbError } from '../core/errors.js';
import { type DumpLine, dumpSegment } from '../core/engine/commit-log-dump.js';
import { parseSegmentFileName } from '../core/engine/commit-log-format.js';
import { errnoCode } from '../core/engine/file-system.js';
import { addOutputOptions, withContext, type CliDeps } from './output/context.js';

interface DumpFlags {
  tenant?: string;
  keysOnly?: boolean;
}

/** The segment files to dump: the file itself, or a dir's (or a data dir's commitlog/) segments in number order. */
async function segmentsOf(path: string): Promise<{ files: string[]; isDir: boolean }> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new PairdbError('FILE_NOT_FOUND', `no such file or directory: ${path}`);
    throw err;
  }
  if (!st.isDirectory()) return { files: [path], isDir: false };
  const list = async (dir: string): Promise<string[]> =>
    (await readdir(dir))
      .map((name) => ({ name, n: parseSegmentFileName(name) }))
      .filter((e): e is { name: string; n: number } => e.n !== undefined)
      .sort((a, b) => a.n - b.n)
      .map((e) => join(dir, e.name));
  let files = await list(path);
  if (files.length === 0) {
    // A data dir: its segments live in commitlog/.
    files = await list(join(path, 'commitlog')).catch(() => []);
  }
  if (files.length === 0) throw new PairdbError('FILE_NOT_FOUND', `no commit-log segments in ${path}`);
  return { files, isDir: true };
}

/**
 * `pairdb commitlog dump <segment|dir> [--tenant T] [--keys-only]`: the records of commit-log segments as JSON lines
 * (storage-engine.md §10, cli-and-ops.md §2.6). Offline and read-only: never takes LOCK, never truncates.
 */
export function commitlogCommand(deps: CliDeps): Command {
  const commitlog = new Command('commitlog').description('offline commit-log tools');

  const dump = new Command('dump')
    .description('print commit-log records as JSON lines: header, batch, write, rotate, end (exit 7 on corruption)')
    .argument('<segment|dir>', 'a segment file, a commitlog/ directory or a data directory')
    .addOption(new Option('--tenant <id>', 'only print writes of this tenant'))
    .addOption(new Option('-e, --keys-only', 'write lines without the version'));
  addOutputOptions(dump);
  dump.action(async (path: string, _o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<DumpFlags>();
      const { files, isDir } = await segmentsOf(path);
      // Lines are JSON whatever -o says: a dump is a stream of records (cli-and-ops.md §1: ndjson for dumps).
      const emit = (line: DumpLine): void => void ctx.io.stdout.write(`${JSON.stringify(line)}\n`);
      for (let i = 0; i < files.length; i++) {
        const file = files[i]!;
        const newest = i === files.length - 1;
        const buf = await readFile(file);
        const res = dumpSegment(buf, parseSegmentFileName(basename(file)), emit, { tenant: o.tenant, keysOnly: o.keysOnly, newest });
        if (res.tail === 'corrupt') {
          throw new PairdbError('CORRUPT_FILE', `commitlog corruption: segment ${file} offset ${res.badOffset} (${res.what})`);
        }
        if (res.tail === 'torn') {
          ctx.note(`note: torn tail in ${file} at offset ${res.badOffset} (${res.what}); recovery drops the last ${buf.length - res.validBytes} bytes`);
          continue;
        }
        if (isDir && !newest) {
          // §2: every segment but the newest ends with a ROTATE naming the next file.
          const next = parseSegmentFileName(basename(files[i + 1]!));
          if (res.rotateTo === undefined) {
            throw new PairdbError('CORRUPT_FILE', `commitlog corruption: segment ${file} offset ${res.validBytes} (segment does not end with a ROTATE record)`);
          }
          if (res.rotateTo !== next) {
            throw new PairdbError('CORRUPT_FILE', `commitlog corruption: segment ${file} (ROTATE names segment ${res.rotateTo}, next file is ${next})`);
          }
        }
      }
    }),
  );

  return commitlog.addCommand(dump);
}
