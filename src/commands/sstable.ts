import { basename, join } from 'node:path';
import { Command, Option } from 'commander';
import { PairdbError } from '../core/errors.js';
import { dumpSegment } from '../core/engine/commit-log-dump.js';
import { parseSegmentFileName } from '../core/engine/commit-log-format.js';
import { NodeFileSystem, readWholeFile } from '../core/engine/file-system.js';
import { allTables } from '../core/engine/manifest-format.js';
import { lostLogStartProblem, segmentNumbers } from '../core/engine/manifest-orphans.js';
import { parseSstFileName, sstFileName } from '../core/engine/sstable-format.js';
import { SSTableReader, type VerifyReport, verifySSTable } from '../core/engine/sstable-reader.js';
import {
  type InspectReport,
  dataDirOf,
  dumpEntryLine,
  findTables,
  inspectSSTable,
  isDirectory,
  levelInManifest,
  readManifestView,
  splitCkey,
  summarizeLevels,
} from '../core/engine/sstable-tools.js';
import { flag } from './options.js';
import { type CliContext, addOutputOptions, withContext, type CliDeps } from './output/context.js';

/**
 * `pairdb sstable dump|inspect|verify` (storage-engine.md §10, cli-and-ops.md §2.6): offline, read-only table tools.
 * They never take LOCK; published tables are immutable, so reading a live data dir is safe. Corruption → the lines so
 * far, then `CORRUPT_FILE` and exit 7.
 */

interface DumpFlags {
  key?: string[];
  exclude?: string[];
  tenant?: string;
  keysOnly?: boolean;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

function json(ctx: CliContext): boolean {
  return ctx.format === 'json' || ctx.format === 'ndjson';
}

function line(ctx: CliContext, obj: unknown): void {
  ctx.io.stdout.write(`${JSON.stringify(obj)}\n`);
}

function corrupt(message: string): PairdbError {
  return new PairdbError('CORRUPT_FILE', message, { hint: 'run `pairdb sstable verify` on the file for every problem' });
}

async function tablesOf(path: string): Promise<string[]> {
  const fs = new NodeFileSystem();
  if (!(await isDirectory(fs, path))) return [path];
  return findTables(fs, path);
}

export function sstableCommand(deps: CliDeps): Command {
  const sstable = new Command('sstable').description('offline SSTable tools: dump, inspect, verify');

  const dump = new Command('dump')
    .description('print the entries of a table in file order (JSON lines off a TTY), then a summary')
    .argument('<file>', 'an .sst file')
    .addOption(new Option('-k, --key <key>', 'only this key (repeatable)').argParser(collect))
    .addOption(new Option('-x, --exclude <key>', 'leave out this key (repeatable)').argParser(collect))
    .addOption(flag('--tenant <id>', 'only keys of this tenant'))
    .addOption(new Option('-e, --keys-only', 'entries without their versions'));
  addOutputOptions(dump);
  dump.action(async (file: string, _o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<DumpFlags>();
      const include = o.key && o.key.length ? new Set(o.key) : undefined;
      const exclude = new Set(o.exclude ?? []);
      const fs = new NodeFileSystem();
      if (await isDirectory(fs, file)) throw new PairdbError('USAGE', `${file} is a directory; dump takes one .sst file`);
      const r = await SSTableReader.open(fs, file);
      let keys = 0;
      let versions = 0;
      let tombstones = 0;
      try {
        for await (const e of r.entries()) {
          const { tenant, key } = splitCkey(e.ckey);
          if (o.tenant !== undefined && tenant !== o.tenant) continue;
          if (include && !include.has(key)) continue;
          if (exclude.has(key)) continue;
          keys++;
          versions += e.versions.length;
          for (const v of e.versions) if (v.tombstone) tombstones++;
          if (json(ctx)) {
            line(ctx, dumpEntryLine(e, o.keysOnly === true));
          } else {
            // Human form (unstable): tenant/key, where it is, and each version in short.
            const sep = ctx.format === 'simple' ? '\t' : '  ';
            const vs = o.keysOnly
              ? ''
              : sep +
                e.versions
                  .map((v) => `${v.tombstone ? 'tombstone' : `${v.value.length}B`} by ${v.writerId} ts=${v.timestampMs} clock={${v.clock.map((x) => `${x.actor}:${x.counter}`).join(',')}}`)
                  .join(' | ');
            ctx.io.stdout.write(`${tenant}/${key}${sep}block ${e.block} @${e.offset}${vs}\n`);
          }
        }
      } catch (err) {
        if (err instanceof PairdbError && err.code === 'CORRUPT_FILE') throw corrupt(err.message);
        throw err;
      } finally {
        await r.close();
      }
      const summary = { t: 'summary', file, keys, versions, tombstones, blocks: r.index.count };
      if (json(ctx)) line(ctx, summary);
      else ctx.io.stdout.write(`${keys} keys, ${versions} versions, ${tombstones} tombstones, ${r.index.count} blocks\n`);
    }),
  );

  const inspect = new Command('inspect')
    .description('footer, properties, index and bloom statistics of a table; per-level summary of a directory')
    .argument('<file|dir>', 'an .sst file or a data directory');
  addOutputOptions(inspect);
  inspect.action(async (path: string, _o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const fs = new NodeFileSystem();
      const print = (obj: unknown): void => {
        ctx.io.stdout.write(ctx.format === 'ndjson' || ctx.format === 'simple' ? `${JSON.stringify(obj)}\n` : `${JSON.stringify(obj, null, 2)}\n`);
      };
      if (!(await isDirectory(fs, path))) {
        // manifest_level: the file's level in the enclosing data dir's manifest (<dir>/sst/<n>.sst), else null.
        let level: number | null = null;
        const dataDir = dataDirOf(path);
        const n = parseSstFileName(basename(path));
        if (dataDir && n !== undefined) {
          const view = await readManifestView(fs, dataDir).catch(() => undefined);
          if (view) level = levelInManifest(view.state, n);
        }
        const { report, problems } = await inspectSSTable(fs, path, level);
        print(report);
        if (problems.length) throw corrupt(`${path}: ${problems.join('; ')}`);
        return;
      }
      const view = await readManifestView(fs, path);
      const tables: { level: number; size: number; minKey: string; maxKey: string }[] = [];
      const problems: string[] = [];
      // A data dir: levels from its manifest. Any other dir: tables grouped by their write-time level.
      const files = view ? [] : await findTables(fs, path);
      if (view) for (const t of allTables(view.state)) tables.push({ level: t.level, size: t.size, minKey: t.minKey, maxKey: t.maxKey });
      for (const f of files) {
        const { report, problems: p } = await inspectSSTable(fs, f, null);
        if (p.length || !report.properties) {
          problems.push(`${f}: ${p.join('; ')}`);
          continue;
        }
        tables.push(tableSummary(report));
      }
      let segments = 0;
      try {
        segments = (await fs.readdir(join(path, 'commitlog'))).filter((n) => parseSegmentFileName(n) !== undefined).length;
      } catch {
        // Not a data dir (or no log yet): no segments.
      }
      print({ levels: summarizeLevels(tables), log_start: view?.state.logStart ?? null, next_file: view?.state.nextFile ?? null, segments });
      if (problems.length) throw corrupt(problems.join('; '));
    }),
  );

  const verify = new Command('verify')
    .description('check footer, every block CRC, the file checksum, entries, key order, sets, properties and bloom (exit 7 on corruption)')
    .argument('<file|dir>', 'an .sst file, or a directory searched for *.sst (a data dir: also its commit log)');
  addOutputOptions(verify);
  verify.action(async (path: string, _o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const fs = new NodeFileSystem();
      const dir = await isDirectory(fs, path);
      const files = await tablesOf(path);
      const reports: VerifyReport[] = [];
      const emit = (rep: { file: string; ok: boolean; problems: { offset: number; what: string }[] }): void => {
        if (json(ctx)) line(ctx, { file: rep.file, ok: rep.ok, problems: rep.problems });
        else for (const p of rep.problems) ctx.io.stdout.write(`CORRUPT ${rep.file} offset=${p.offset} ${p.what}\n`);
      };
      for (const f of files) {
        const rep = await verifySSTable(fs, f);
        reports.push(rep);
        emit(rep);
      }
      let checked = files.length;
      let bad = reports.filter((r) => !r.ok).length;
      const view = dir ? await readManifestView(fs, path).catch((err: unknown) => err as Error) : undefined;
      if (view instanceof Error) {
        checked++;
        bad++;
        emit({ file: join(path, 'CURRENT'), ok: false, problems: [{ offset: 0, what: view.message }] });
      } else if (view) {
        // The manifest itself, then its tables: a listed table missing is corruption, an unlisted one an orphan.
        checked++;
        if (view.problem && !view.torn) {
          bad++;
          emit({ file: view.file, ok: false, problems: [{ offset: view.problem.offset, what: `${view.problem.what} followed by valid records` }] });
        } else {
          if (view.problem) ctx.note(`warning: torn tail in ${view.file} at offset ${view.problem.offset}; startup drops it (an uncommitted edit)`);
          if (json(ctx)) emit({ file: view.file, ok: true, problems: [] });
        }
        // Table and log_start checks only for a manifest that replayed cleanly or with a torn tail: after a mid-file
        // bad record the state is partial (and the manifest already reported).
        const lost = view.problem && !view.torn ? undefined : lostLogStartProblem(view.state.logStart, await segmentNumbers(fs, path));
        if (lost) {
          checked++;
          bad++;
          emit({ file: view.file, ok: false, problems: [{ offset: view.problem?.offset ?? 0, what: lost }] });
        }
        const onDisk = new Set(files);
        const listed = new Set<string>();
        const partial = view.problem !== undefined && !view.torn;
        for (const t of partial ? [] : allTables(view.state)) {
          const f = join(path, 'sst', sstFileName(t.file));
          listed.add(f);
          if (!onDisk.has(f)) {
            checked++;
            bad++;
            emit({ file: f, ok: false, problems: [{ offset: 0, what: `listed in the manifest (level ${t.level}) but missing` }] });
          }
        }
        for (const f of partial ? [] : files) {
          if (!listed.has(f) && f.startsWith(join(path, 'sst') + '/')) ctx.note(`warning: orphan table ${f} (not in the manifest; startup deletes it)`);
        }
      }
      if (dir) {
        // A data dir's commit log: §2 recovery rules per segment; a torn newest tail is only a warning.
        const logDir = join(path, 'commitlog');
        const segs = (await fs.readdir(logDir).catch(() => [] as string[]))
          .map((n) => ({ n, num: parseSegmentFileName(n) }))
          .filter((s): s is { n: string; num: number } => s.num !== undefined)
          .sort((a, b) => a.num - b.num);
        for (let i = 0; i < segs.length; i++) {
          const seg = join(logDir, segs[i]!.n);
          const res = dumpSegment(await readWholeFile(fs, seg), segs[i]!.num, () => undefined, { newest: i === segs.length - 1 });
          checked++;
          if (res.tail === 'corrupt') {
            bad++;
            emit({ file: seg, ok: false, problems: [{ offset: res.badOffset ?? 0, what: res.what ?? 'corrupt record' }] });
          } else {
            if (res.tail === 'torn') ctx.note(`warning: torn tail in ${seg} at offset ${res.badOffset} (${res.what}); recovery truncates it`);
            if (json(ctx)) emit({ file: seg, ok: true, problems: [] });
          }
        }
      }
      if (json(ctx)) line(ctx, { verified: checked, corrupt: bad });
      else ctx.io.stdout.write(`verified ${checked} files, ${bad} corrupt\n`);
      if (dir && files.length === 0 && checked === 0) ctx.note(`note: no *.sst files under ${path}`);
      if (bad > 0) throw new PairdbError('CORRUPT_FILE', `${bad} of ${checked} files corrupt`);
    }),
  );

  return sstable.addCommand(dump).addCommand(inspect).addCommand(verify);
}

function tableSummary(r: InspectReport): { level: number; size: number; minKey: string; maxKey: string } {
  const p = r.properties!;
  return { level: p.level, size: r.size, minKey: p.min_key, maxKey: p.max_key };
}
