import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { CliDeps } from '../../src/commands/output/context.js';
import { NodeFileSystem } from '../../src/core/engine/file-system.js';
import { SSTableReader } from '../../src/core/engine/sstable-reader.js';
import type { SSTableEntry } from '../../src/core/engine/sstable-writer.js';
import { tempDir, ver } from '../core/engine/helpers.js';
import { ckey, writeTable } from '../core/engine/sstable-helpers.js';

/** `pairdb sstable …` through main(): real files, captured stdout/stderr, exit codes of ERROR_MAP. */

interface Run {
  code: number | undefined;
  out: string;
  err: string;
}

async function pairdb(args: string[], opts: { tty?: boolean } = {}): Promise<Run> {
  let out = '';
  let err = '';
  const deps: CliDeps = {
    io: {
      stdout: { write: (s: string) => (out += s), isTTY: opts.tty ?? false },
      stderr: { write: (s: string) => (err += s) },
      stdin: Object.assign(Readable.from([]), { isTTY: false }),
      env: {},
    },
    gateway: () => {
      throw new Error('no gateway in sstable tools');
    },
    coordinator: () => {
      throw new Error('no coordinator in sstable tools');
    },
  };
  const code = await main(['node', 'pairdb', ...args], deps);
  return { code, out, err };
}

const jsonLines = (s: string): Record<string, unknown>[] =>
  s
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const fs = new NodeFileSystem();
let tmp: { dir: string; cleanup(): void };
beforeEach(() => {
  tmp = tempDir('pairdb-sst-cli-');
});
afterEach(() => tmp.cleanup());

const HT = 1_700_000_000_000_000;

function entries(): SSTableEntry[] {
  const out: SSTableEntry[] = [];
  for (const [tenant, key, tomb] of [
    ['acme', 'a', false],
    ['acme', 'b', true],
    ['acme', 'c', false],
    ['globex', 'a', false],
    ['globex', 'z', false],
  ] as const) {
    out.push({
      ckey: ckey(tenant, key),
      versions: [ver({ writer: 'c1', ht: HT + out.length, value: `"${tenant}-${key}"`, tombstone: tomb, writeId: Buffer.from([1, 2]) })],
      wids: [],
    });
  }
  // A key with two concurrent siblings.
  out.splice(2, 0, {
    ckey: ckey('acme', 'bb'),
    versions: [ver({ writer: 'c1', ht: HT, value: '1' }), ver({ writer: 'c2', ht: HT, value: '2' })].sort((x, y) =>
      Buffer.compare(Buffer.from(x.writerId), Buffer.from(y.writerId)),
    ),
    wids: [],
  });
  return out;
}

async function table(dir = tmp.dir, n = 1, blockBytes = 64): Promise<string> {
  mkdirSync(dir, { recursive: true });
  return (await writeTable(fs, dir, n, entries(), { blockBytes })).path;
}

describe('pairdb sstable dump', () => {
  it('prints one §10 entry line per key in file order, then the summary', async () => {
    const file = await table();
    const r = await pairdb(['sstable', 'dump', file]);
    expect(r.code).toBeUndefined();
    expect(r.err).toBe('');
    const lines = jsonLines(r.out);
    expect(lines.length).toBe(7);
    const first = lines[0]!;
    expect(Object.keys(first)).toEqual(['t', 'block', 'offset', 'tenant', 'key', 'ckey_hex', 'ring', 'versions']);
    expect(first).toMatchObject({ t: 'entry', block: 0, offset: 0, tenant: 'acme', key: 'a', ckey_hex: ckey('acme', 'a').toString('hex') });
    expect(first.ring).toMatch(/^[0-9a-f]{16}$/);
    expect(first.versions).toEqual([
      { tombstone: false, lww: false, clock: { c1: HT }, ts: Math.floor(HT / 1000), writer: 'c1', write_id: '0102', value_b64: Buffer.from('"acme-a"').toString('base64'), value_len: 8 },
    ]);
    expect(lines.slice(0, 6).map((l) => `${l.tenant as string}/${l.key as string}`)).toEqual(['acme/a', 'acme/b', 'acme/bb', 'acme/c', 'globex/a', 'globex/z']);
    const tomb = lines[1]!.versions as Record<string, unknown>[];
    expect(tomb[0]).toMatchObject({ tombstone: true, value_b64: null, value_len: 0 });
    expect((lines[2]!.versions as unknown[]).length).toBe(2);
    // Offsets and block numbers point at the real entries.
    const reader = await SSTableReader.open(fs, file);
    for (const l of lines.slice(0, 6)) expect(reader.index.offsets[l.block as number]! <= (l.offset as number)).toBe(true);
    const blocks = reader.index.count;
    await reader.close();
    expect(lines[6]).toEqual({ t: 'summary', file, keys: 6, versions: 7, tombstones: 1, blocks });
  });

  it('filters with -k, -x and --tenant, and -e leaves out the versions', async () => {
    const file = await table();
    const keys = (out: string) => jsonLines(out).filter((l) => l.t === 'entry').map((l) => `${l.tenant as string}/${l.key as string}`);
    expect(keys((await pairdb(['sstable', 'dump', file, '-k', 'a', '-k', 'z'])).out)).toEqual(['acme/a', 'globex/a', 'globex/z']);
    expect(keys((await pairdb(['sstable', 'dump', file, '--tenant', 'acme', '-x', 'b', '-x', 'bb'])).out)).toEqual(['acme/a', 'acme/c']);
    const r = await pairdb(['sstable', 'dump', file, '-e', '--tenant', 'globex']);
    const lines = jsonLines(r.out);
    expect(lines.slice(0, 2).map((l) => [l.key, 'versions' in l])).toEqual([['a', false], ['z', false]]);
    expect(lines[2]).toMatchObject({ t: 'summary', keys: 2, versions: 2, tombstones: 0 });
  });

  it('prints readable lines on a TTY without -o', async () => {
    const file = await table();
    const r = await pairdb(['sstable', 'dump', file], { tty: true });
    expect(r.code).toBeUndefined();
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^acme\/a\s+block 0 @0\s+8B by c1/);
    expect(lines.at(-1)).toBe(`6 keys, 7 versions, 1 tombstones, ${jsonBlocks(file)} blocks`);
  });

  it('on a checksum failure prints the lines so far, then CORRUPT_FILE and exits 7', async () => {
    const file = await table();
    const reader = await SSTableReader.open(fs, file);
    const secondBlock = reader.index.offsets[1]!;
    const firstBlockKeys = (await reader.readDataBlock(0)).count;
    await reader.close();
    const bytes = readFileSync(file);
    bytes[secondBlock + 2]! ^= 0x40;
    writeFileSync(file, bytes);
    const r = await pairdb(['sstable', 'dump', file]);
    expect(r.code).toBe(7);
    expect(jsonLines(r.out).length).toBe(firstBlockKeys);
    expect(r.err).toMatch(/^pairdb: error: CORRUPT_FILE: .*offset \d+/);
  });

  it('a missing file exits 3 (FILE_NOT_FOUND), a truncated one 7', async () => {
    expect((await pairdb(['sstable', 'dump', join(tmp.dir, 'nope.sst')])).code).toBe(3);
    const file = await table();
    writeFileSync(file, readFileSync(file).subarray(0, 40));
    const r = await pairdb(['sstable', 'dump', file]);
    expect(r.code).toBe(7);
    expect(r.out).toBe('');
  });
});

function jsonBlocks(file: string): number {
  // Footer data_blocks (u32 at footer + 40).
  const b = readFileSync(file);
  return b.readUInt32LE(b.length - 64 + 40);
}

describe('pairdb sstable inspect', () => {
  it('reports footer, properties, index and bloom of a file in the §10 shape', async () => {
    const file = await table();
    const r = await pairdb(['sstable', 'inspect', file, '-o', 'json']);
    expect(r.code).toBeUndefined();
    const rep = JSON.parse(r.out) as Record<string, any>;
    expect(Object.keys(rep)).toEqual(['file', 'size', 'format_version', 'magic_ok', 'footer_crc_ok', 'footer', 'properties', 'index', 'bloom', 'manifest_level']);
    expect(rep).toMatchObject({ file, size: readFileSync(file).length, format_version: 1, magic_ok: true, footer_crc_ok: true, manifest_level: null });
    expect(Object.keys(rep.footer)).toEqual(['index_offset', 'index_length', 'bloom_offset', 'bloom_length', 'props_offset', 'props_length', 'data_blocks', 'file_crc']);
    expect(rep.properties).toMatchObject({ format: 1, file: 1, keys: 6, versions: 7, tombstones: 1, reason: 'flush', bloom_k: 7 });
    expect(rep.index).toMatchObject({ blocks: jsonBlocks(file), first_key_hex: ckey('acme', 'a').toString('hex'), last_key_hex: ckey('globex', 'z').toString('hex') });
    expect(rep.index.min_block_bytes).toBeLessThanOrEqual(rep.index.avg_block_bytes);
    expect(rep.index.avg_block_bytes).toBeLessThanOrEqual(rep.index.max_block_bytes);
    // 6 keys → m = 64 bits (the minimum), k = 7.
    expect(rep.bloom).toMatchObject({ m_bits: 64, k: 7, n_keys: 6 });
    expect(rep.bloom.est_fp_rate).toBeCloseTo(Math.pow(1 - Math.exp((-7 * 6) / 64), 7), 6);
    expect(rep.bloom.fill_ratio).toBeGreaterThan(0);
  });

  it('shows a broken footer (magic_ok false) and exits 7', async () => {
    const file = await table();
    const bytes = readFileSync(file);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(file, bytes);
    const r = await pairdb(['sstable', 'inspect', file, '-o', 'json']);
    expect(r.code).toBe(7);
    const rep = JSON.parse(r.out) as Record<string, unknown>;
    expect(rep.magic_ok).toBe(false);
    expect(rep.footer_crc_ok).toBe(true);
    expect(rep.properties).toBeNull();
  });

  it('summarises a data dir per level', async () => {
    await table(join(tmp.dir, 'sst'), 1);
    await table(join(tmp.dir, 'sst'), 2);
    const r = await pairdb(['sstable', 'inspect', tmp.dir, '-o', 'json']);
    expect(r.code).toBeUndefined();
    const rep = JSON.parse(r.out) as { levels: Record<string, unknown>[]; segments: number };
    expect(rep.levels).toHaveLength(1);
    expect(rep.levels[0]).toMatchObject({ level: 0, tables: 2, target_bytes: null, score: 0.5, min_key_hex: ckey('acme', 'a').toString('hex') });
    expect(rep.segments).toBe(0);
  });
});

describe('pairdb sstable verify', () => {
  it('a good file: ok line and summary, exit 0', async () => {
    const file = await table();
    const r = await pairdb(['sstable', 'verify', file]);
    expect(r.code).toBeUndefined();
    expect(jsonLines(r.out)).toEqual([{ file, ok: true, problems: [] }, { verified: 1, corrupt: 0 }]);
  });

  it('a dir with one corrupt table: the problem, the summary, exit 7', async () => {
    const good = await table(join(tmp.dir, 'sst'), 1);
    const bad = await table(join(tmp.dir, 'sst'), 2);
    const bytes = readFileSync(bad);
    bytes[10]! ^= 0x01;
    writeFileSync(bad, bytes);
    const r = await pairdb(['sstable', 'verify', tmp.dir, '-o', 'json']);
    expect(r.code).toBe(7);
    const lines = jsonLines(r.out);
    expect(lines[0]).toEqual({ file: good, ok: true, problems: [] });
    expect(lines[1]).toMatchObject({ file: bad, ok: false });
    const problems = lines[1]!.problems as { offset: number; what: string }[];
    expect(problems.some((p) => p.offset === 0 && /crc mismatch/.test(p.what))).toBe(true);
    expect(problems.some((p) => /file_crc/.test(p.what))).toBe(true);
    expect(lines[2]).toEqual({ verified: 2, corrupt: 1 });
    expect(JSON.parse(r.err.trim())).toMatchObject({ status: 'error', error_code: 'CORRUPT_FILE', exit_code: 7 });

    const s = await pairdb(['sstable', 'verify', tmp.dir, '-o', 'simple']);
    expect(s.code).toBe(7);
    const out = s.out.trim().split('\n');
    expect(out[0]).toMatch(new RegExp(`^CORRUPT ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} offset=0 data block 0: data block crc mismatch$`));
    expect(out.at(-1)).toBe('verified 2 files, 1 corrupt');
    expect(s.err).toMatch(/^pairdb: error: CORRUPT_FILE: 1 of 2 files corrupt/);
  });

  it('a missing path exits 3', async () => {
    expect((await pairdb(['sstable', 'verify', join(tmp.dir, 'none')])).code).toBe(3);
  });
});

describe('pairdb sstable on a data dir with a manifest', () => {
  async function dataDir(): Promise<{ dir: string; t1: string; t2: string }> {
    const { Manifest } = await import('../../src/core/engine/manifest.js');
    const dir = join(tmp.dir, 'data');
    mkdirSync(join(dir, 'sst'), { recursive: true });
    const { manifest } = await Manifest.open(dir, fs);
    const metas = [];
    const paths: string[] = [];
    for (const level of [0, 2]) {
      const n = manifest.nextFileNumber();
      const info = await writeTable(fs, join(dir, 'sst'), n, entries(), { level: 0 });
      paths.push(info.path);
      const p = info.properties;
      metas.push({ file: n, level, size: info.size, minKey: p.min_key, maxKey: p.max_key, keys: p.keys, tombstones: p.tombstones, oldestTombstoneTs: p.oldest_tombstone_ts });
    }
    await manifest.commit({ reason: 'flush', add: metas, logStart: 3 });
    await manifest.close();
    return { dir, t1: paths[0]!, t2: paths[1]! };
  }

  it('inspect FILE gives manifest_level, inspect DIR the manifest levels and counters', async () => {
    const { dir, t2 } = await dataDir();
    const one = JSON.parse((await pairdb(['sstable', 'inspect', t2, '-o', 'json'])).out) as Record<string, unknown>;
    // Written with properties level 0, placed at level 2 by the manifest: the manifest wins.
    expect(one.manifest_level).toBe(2);
    const r = await pairdb(['sstable', 'inspect', dir, '-o', 'json']);
    expect(r.code).toBeUndefined();
    const rep = JSON.parse(r.out) as { levels: { level: number; tables: number; target_bytes: number | null }[]; log_start: number; next_file: number };
    expect(rep.levels.map((l) => [l.level, l.tables, l.target_bytes])).toEqual([
      [0, 1, null],
      [2, 1, 2560 * 1024 * 1024],
    ]);
    expect(rep.log_start).toBe(3);
    expect(rep.next_file).toBeGreaterThan(2);
  });

  it('verify DIR checks the manifest and reports a listed table that is missing (exit 7)', async () => {
    const { dir, t1 } = await dataDir();
    const ok = await pairdb(['sstable', 'verify', dir, '-o', 'json']);
    expect(ok.code).toBeUndefined();
    expect(jsonLines(ok.out).at(-1)).toEqual({ verified: 3, corrupt: 0 });
    const { unlinkSync } = await import('node:fs');
    unlinkSync(t1);
    const r = await pairdb(['sstable', 'verify', dir, '-o', 'json']);
    expect(r.code).toBe(7);
    const missing = jsonLines(r.out).find((l) => l.file === t1)!;
    expect(missing).toMatchObject({ ok: false });
    expect(jsonLines(r.out).at(-1)).toEqual({ verified: 3, corrupt: 1 });
  });
});
