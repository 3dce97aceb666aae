import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { CliDeps } from '../../src/commands/output/context.js';
import { CommitLog, type LogWrite } from '../../src/core/engine/commit-log.js';
import { ROTATE_RECORD_SIZE, segmentFileName } from '../../src/core/engine/commit-log-format.js';
import { NodeFileSystem } from '../../src/core/engine/file-system.js';
import { silentLogger } from '../../src/core/observability/logger.js';
import { tempDir, ver } from '../core/engine/helpers.js';

/** `pairdb commitlog dump` over segments written by the real CommitLog. */

interface Run {
  code: number | undefined;
  out: string;
  err: string;
  lines: Record<string, any>[];
}

async function pairdb(args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const deps: CliDeps = {
    io: {
      stdout: { write: (s: string) => (out += s), isTTY: false },
      stderr: { write: (s: string) => (err += s) },
      stdin: Object.assign(Readable.from([]), { isTTY: false }),
      env: {},
    },
    gateway: () => {
      throw new Error('no gateway in offline tools');
    },
    coordinator: () => {
      throw new Error('no coordinator in offline tools');
    },
  };
  const code = await main(['node', 'pairdb', ...args], deps);
  const lines = out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, any>);
  return { code, out, err, lines };
}

function w(tenantId: string, key: string, value: string | null, ht: number, writeId = ''): LogWrite {
  const version = ver({ writer: 'c1', ht, value: value ?? undefined, tombstone: value === null, writeId: Buffer.from(writeId, 'hex') });
  return { tenantId, key, version, wids: [] };
}

/** Opens the log in `dir`, appends each group as its own batch (awaited), closes. */
async function writeLog(dir: string, batches: LogWrite[][]): Promise<void> {
  const { log } = await CommitLog.open({
    dir,
    fs: new NodeFileSystem(),
    logger: silentLogger(),
    apply: () => undefined,
    onFatal: (e) => {
      throw e;
    },
  });
  for (const b of batches) await log.append(b);
  await log.close();
}

const HT = 1_700_000_000_000_123;

describe('commitlogCommand', () => {
  let dir: string;
  let cleanup: () => void;
  let logDir: string;
  let seg1: string;

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir('pairdb-cldump-'));
    logDir = join(dir, 'commitlog');
    seg1 = join(logDir, segmentFileName(1));
    await writeLog(logDir, [
      [w('acme', 'user:1', '"alice"', HT, '00112233445566778899aabbccddeeff'), w('other', 'k', '1', HT + 1)],
      [w('acme', 'user:2', null, HT + 2)],
      [w('acme', 'user:3', '{"a":[1,2]}', HT + 3), w('acme', 'user:4', '"x"', HT + 4)],
    ]);
  });
  afterEach(() => cleanup());

  it('prints header, batch and write lines and a clean end for a segment, exit 0', async () => {
    const r = await pairdb(['commitlog', 'dump', seg1]);
    expect(r.code).toBeUndefined();
    expect(r.err).toBe('');
    expect(r.lines.map((l) => l.t)).toEqual(['header', 'batch', 'write', 'write', 'batch', 'write', 'batch', 'write', 'write', 'end']);
    expect(r.lines[0]).toEqual({ t: 'header', segment: 1, version: 1 });
    const batch = r.lines[1]!;
    expect(batch).toMatchObject({ t: 'batch', offset: 24, writes: 2, durable_mark: 24 });
    expect(batch.crc).toMatch(/^0x[0-9a-f]{8}$/);
    const first = r.lines[2]!;
    expect(first).toMatchObject({ t: 'write', i: 0, tenant: 'acme', key: 'user:1', ckey_hex: Buffer.from('acme\0user:1').toString('hex') });
    expect(first.offset).toBeGreaterThan(24);
    expect(first.version).toEqual({
      tombstone: false,
      lww: false,
      clock: { c1: HT },
      ts: Math.floor(HT / 1000),
      writer: 'c1',
      write_id: '00112233445566778899aabbccddeeff',
      value_b64: Buffer.from('"alice"').toString('base64'),
      value_len: 7,
    });
    expect(r.lines[3]).toMatchObject({ i: 1, tenant: 'other', key: 'k' });
    expect(r.lines[5]!.version).toMatchObject({ tombstone: true, value_b64: null, value_len: 0 });
    // The second batch's durable_mark is the end of the first record (group commit: fsynced before it was built).
    expect(r.lines[4]!.durable_mark).toBe(r.lines[4]!.offset);
    const size = readFileSync(seg1).length;
    expect(r.lines.at(-1)).toEqual({ t: 'end', records: 3, writes: 5, valid_bytes: size, file_bytes: size, tail: 'clean', bad_offset: null });
  });

  it('filters writes by --tenant and drops versions with --keys-only', async () => {
    const r = await pairdb(['commitlog', 'dump', seg1, '--tenant', 'acme', '--keys-only']);
    expect(r.code).toBeUndefined();
    const writes = r.lines.filter((l) => l.t === 'write');
    expect(writes.map((l) => l.key)).toEqual(['user:1', 'user:2', 'user:3', 'user:4']);
    for (const l of writes) expect(l).not.toHaveProperty('version');
    expect(r.lines.filter((l) => l.t === 'batch')).toHaveLength(3);
    expect(r.lines.at(-1)!.writes).toBe(5);
  });

  it('reports a torn tail at every cut of the last record: end tail torn, a note on stderr, exit 0', async () => {
    const full = readFileSync(seg1);
    const lastBatch = (await pairdb(['commitlog', 'dump', seg1])).lines.filter((l) => l.t === 'batch').at(-1)!.offset as number;
    for (let cut = lastBatch + 1; cut < full.length; cut += 5) {
      writeFileSync(seg1, full.subarray(0, cut));
      const r = await pairdb(['commitlog', 'dump', seg1]);
      expect(r.code).toBeUndefined();
      expect(r.lines.filter((l) => l.t === 'write')).toHaveLength(3);
      expect(r.lines.at(-1)).toEqual({ t: 'end', records: 2, writes: 3, valid_bytes: lastBatch, file_bytes: cut, tail: 'torn', bad_offset: lastBatch });
      expect(r.err).toMatch(/^note: /);
      // Read-only: the tool never truncates.
      expect(readFileSync(seg1).length).toBe(cut);
    }
    const quiet = await pairdb(['commitlog', 'dump', seg1, '-q']);
    expect(quiet.code).toBeUndefined();
    expect(quiet.err).toBe('');
  });

  it('treats a bad record followed by a durable one as corruption: lines up to it, CORRUPT_FILE, exit 7', async () => {
    const full = readFileSync(seg1);
    const batches = (await pairdb(['commitlog', 'dump', seg1])).lines.filter((l) => l.t === 'batch');
    const bad = Buffer.from(full);
    bad[batches[1]!.offset + 12]! ^= 0xff; // inside the second record's payload
    writeFileSync(seg1, bad);
    const r = await pairdb(['commitlog', 'dump', seg1]);
    expect(r.code).toBe(7);
    expect(r.lines.map((l) => l.t)).toEqual(['header', 'batch', 'write', 'write', 'end']);
    expect(r.lines.at(-1)).toMatchObject({ tail: 'corrupt', bad_offset: batches[1]!.offset, records: 1, writes: 2 });
    expect(r.err).toMatch(/^pairdb: error: CORRUPT_FILE: /);
  });

  it('dumps a directory segment by segment (ROTATE chain) and accepts a data dir', async () => {
    // Reopening appends a ROTATE to segment 1 and creates segment 2; a write lands in 2.
    await writeLog(logDir, [[w('acme', 'late', '"z"', HT + 9)]]);
    expect(readdirSync(logDir).sort()).toEqual([segmentFileName(1), segmentFileName(2)]);
    for (const target of [logDir, dir]) {
      const r = await pairdb(['commitlog', 'dump', target]);
      expect(r.code).toBeUndefined();
      const kinds = r.lines.filter((l) => l.t !== 'write' && l.t !== 'batch');
      expect(kinds.map((l) => l.t)).toEqual(['header', 'rotate', 'end', 'header', 'end']);
      expect(kinds[1]).toMatchObject({ next_segment: 2 });
      expect(kinds[3]).toMatchObject({ segment: 2 });
      expect(r.lines.filter((l) => l.t === 'write').map((l) => l.key)).toEqual(['user:1', 'k', 'user:2', 'user:3', 'user:4', 'late']);
    }
  });

  it('refuses a directory whose older segment lacks its ROTATE, or is torn (exit 7)', async () => {
    await writeLog(logDir, [[w('acme', 'late', '"z"', HT + 9)]]);
    const full = readFileSync(seg1);
    writeFileSync(seg1, full.subarray(0, full.length - ROTATE_RECORD_SIZE));
    let r = await pairdb(['commitlog', 'dump', logDir]);
    expect(r.code).toBe(7);
    expect(r.lines.at(-1)).toMatchObject({ t: 'end', tail: 'clean' });
    expect(r.lines.filter((l) => l.t === 'header')).toHaveLength(1);

    writeFileSync(seg1, full.subarray(0, full.length - 3));
    r = await pairdb(['commitlog', 'dump', logDir]);
    expect(r.code).toBe(7);
    expect(r.lines.at(-1)).toMatchObject({ t: 'end', tail: 'corrupt' });
  });

  it('calls an all-zero or short newest segment torn at creation, and a bad header corrupt', async () => {
    writeFileSync(seg1, Buffer.alloc(40));
    let r = await pairdb(['commitlog', 'dump', seg1]);
    expect(r.code).toBeUndefined();
    expect(r.lines).toEqual([{ t: 'end', records: 0, writes: 0, valid_bytes: 0, file_bytes: 40, tail: 'torn', bad_offset: 0 }]);

    const other = join(logDir, segmentFileName(5));
    const hdr = Buffer.alloc(24);
    hdr.write('pairDBcl', 0, 'latin1');
    writeFileSync(other, hdr);
    r = await pairdb(['commitlog', 'dump', other]);
    expect(r.code).toBe(7);
    expect(r.lines.at(-1)).toMatchObject({ tail: 'corrupt', bad_offset: 0 });
  });

  it('exits 3 for a missing path and 2 without one', async () => {
    expect((await pairdb(['commitlog', 'dump', join(dir, 'nope')])).code).toBe(3);
    expect((await pairdb(['commitlog', 'dump', join(dir, 'sst-less-empty')])).code).toBe(3);
    expect((await pairdb(['commitlog', 'dump'])).code).toBe(2);
  });
});
