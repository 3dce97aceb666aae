import { copyFileSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommitLog, type CommitLogOptions, CommitLogCorruptionError } from '../../../src/core/engine/commit-log.js';
import {
  HEADER_SIZE,
  type LogWrite,
  RECORD_HEADER_SIZE,
  encodeRotateRecord,
  readRecordAt,
  segmentFileName,
} from '../../../src/core/engine/commit-log-format.js';
import { FaultFileSystem } from '../../../src/core/engine/fault-file-system.js';
import { NodeFileSystem } from '../../../src/core/engine/file-system.js';
import { PairdbError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/observability/logger.js';
import { encs, tempDir, tick, ver, waitUntil } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
let dir: string;
const open: CommitLog[] = [];

beforeEach(() => {
  tmp = tempDir('pairdb-commitlog-');
  dir = join(tmp.dir, 'commitlog');
});

afterEach(async () => {
  for (const l of open.splice(0)) await l.close().catch(() => undefined);
  tmp.cleanup();
});

function w(i: number, extra: Partial<LogWrite> = {}): LogWrite {
  return {
    tenantId: 'acme',
    key: `k${i}`,
    version: ver({ ht: 1_700_000_000_000_000 + i, value: `"value-${i}"`, writeId: `wid-${i}` }),
    wids: [{ writeId: Buffer.from(`wid-${i}`), timestampMs: 1_700_000_000_000 }],
    ...extra,
  };
}

async function openLog(opts: Partial<CommitLogOptions> = {}): Promise<{ log: CommitLog; applied: LogWrite[]; replayed: number; truncated: number }> {
  const applied: LogWrite[] = [];
  const { log, replay } = await CommitLog.open({
    dir,
    fs: opts.fs ?? new NodeFileSystem(),
    logger: silentLogger(),
    apply: (x) => applied.push(x),
    onFatal: () => undefined,
    ...opts,
  });
  open.push(log);
  return { log, applied, replayed: replay.writes, truncated: replay.truncatedBytes };
}

function seg(n: number): string {
  return join(dir, segmentFileName(n));
}

/** Offsets of the valid records of a segment file, in order. */
function recordOffsets(path: string): Array<{ offset: number; end: number; type: number }> {
  const buf = readFileSync(path);
  const out: Array<{ offset: number; end: number; type: number }> = [];
  let off = HEADER_SIZE;
  for (;;) {
    const r = readRecordAt(buf, off);
    if (!r) break;
    out.push({ offset: r.offset, end: r.end, type: r.type });
    off = r.end;
  }
  return out;
}

function writeKey(x: LogWrite): string {
  return `${x.tenantId}/${x.key}/${encs([x.version])[0]}/${x.wids.map((e) => `${e.writeId.toString('hex')}@${e.timestampMs}`).join(',')}`;
}

/** Writes n batches of one write each (sequentially), closes the log. */
async function writeSequential(n: number, opts: Partial<CommitLogOptions> = {}): Promise<LogWrite[]> {
  const { log } = await openLog(opts);
  const written: LogWrite[] = [];
  for (let i = 0; i < n; i++) {
    const x = w(i);
    await log.append([x]);
    written.push(x);
  }
  await log.close();
  return written;
}

function flipByte(path: string, offset: number): void {
  const buf = readFileSync(path);
  buf[offset] = buf[offset]! ^ 0x5a;
  writeFileSync(path, buf);
}

describe('CommitLog', () => {
  it('writes the §2 segment header: magic, format version, file number, crc', async () => {
    const { log } = await openLog();
    await log.close();
    const buf = readFileSync(seg(1));
    expect(buf.subarray(0, 8).toString('latin1')).toBe('pairDBcl');
    expect(buf.readUInt32LE(8)).toBe(1);
    expect(buf.readBigUInt64LE(12)).toBe(1n);
    expect(buf.readUInt32LE(20)).toBe(crc32(buf.subarray(0, 20)));
  });

  it('replays every appended write, with its version and write ids, after a reopen', async () => {
    const written = await writeSequential(5);
    const { applied, replayed } = await openLog();
    expect(replayed).toBe(5);
    expect(applied.map(writeKey)).toEqual(written.map(writeKey));
  });

  it('frames a batch as crc | length | type 0x01 | durable_mark | count | entries', async () => {
    const { log } = await openLog();
    await log.append([w(1), w(2)]);
    await log.close();
    const buf = readFileSync(seg(1));
    const [rec] = recordOffsets(seg(1));
    expect(rec!.offset).toBe(HEADER_SIZE);
    expect(rec!.type).toBe(0x01);
    expect(buf.readBigUInt64LE(HEADER_SIZE + RECORD_HEADER_SIZE)).toBe(BigInt(HEADER_SIZE)); // nothing before it
    expect(buf[HEADER_SIZE + RECORD_HEADER_SIZE + 8]).toBe(2); // count varint
    const len = buf.readUInt32LE(HEADER_SIZE + 4);
    expect(buf.readUInt32LE(HEADER_SIZE)).toBe(crc32(buf.subarray(HEADER_SIZE + 4, HEADER_SIZE + RECORD_HEADER_SIZE + len)));
    // ckey = utf8(tenant) 0x00 utf8(key)
    const ckeyLen = buf[HEADER_SIZE + RECORD_HEADER_SIZE + 9]!;
    const ckey = buf.subarray(HEADER_SIZE + RECORD_HEADER_SIZE + 10, HEADER_SIZE + RECORD_HEADER_SIZE + 10 + ckeyLen);
    expect(ckey.equals(Buffer.from('acme\u0000k1'))).toBe(true);
  });

  it('closes the replayed chain with a ROTATE naming the next segment, and writes into that segment', async () => {
    await writeSequential(2);
    const { log } = await openLog();
    expect(log.currentSegment).toBe(2);
    await log.append([w(9)]);
    const recs = recordOffsets(seg(1));
    expect(recs.at(-1)!.type).toBe(0x02);
    const buf = readFileSync(seg(1));
    expect(buf.readBigUInt64LE(recs.at(-1)!.offset + RECORD_HEADER_SIZE)).toBe(2n);
    expect(recordOffsets(seg(2))).toHaveLength(1);
  });

  describe('group commit', () => {
    it('turns appends of one event-loop turn into one write and one fdatasync', async () => {
      const fs = new FaultFileSystem();
      const { log } = await openLog({ fs });
      const before = { ...fs.counts };
      await Promise.all(Array.from({ length: 64 }, (_, i) => log.append([w(i)])));
      expect(fs.counts.fdatasync - before.fdatasync).toBe(1);
      expect(fs.counts.write - before.write).toBe(1);
    });

    it('batches the appends that arrive during an fdatasync into the next batch, acking none before its sync', async () => {
      const fs = new FaultFileSystem();
      const { log } = await openLog({ fs });
      const syncsBefore = fs.counts.fdatasync;
      const release = fs.holdFdatasync();
      const acked: number[] = [];
      const all: Array<Promise<void>> = [];
      all.push(log.append([w(0)]).then(() => void acked.push(0)));
      await waitUntil(() => fs.counts.fdatasync > syncsBefore, 'first fdatasync');
      for (let i = 1; i <= 63; i++) {
        all.push(log.append([w(i)]).then(() => void acked.push(i)));
        if (i % 8 === 0) await tick(); // spread over several turns
      }
      await tick();
      expect(acked).toEqual([]); // the first sync is held: nothing is acked
      release();
      await Promise.all(all);
      expect(acked).toHaveLength(64);
      // 64 writes, far fewer syncs: the held one plus one batch for everything that queued behind it.
      expect(fs.counts.fdatasync - syncsBefore).toBe(2);
    });

    it('acks a write only once the bytes holding it are durable (64 concurrent writers)', async () => {
      const fs = new FaultFileSystem();
      const { log } = await openLog({ fs });
      const syncsBefore = fs.counts.fdatasync;
      const violations: number[] = [];
      const writers = Array.from({ length: 64 }, async (_, i) => {
        for (let round = 0; round < 4; round++) {
          const x = w(i * 10 + round);
          await log.append([x]);
          const durable = fs.durable(seg(1)) ?? Buffer.alloc(0);
          if (!durable.includes(x.version.value)) violations.push(i);
        }
      });
      await Promise.all(writers);
      expect(violations).toEqual([]);
      expect(fs.counts.fdatasync - syncsBefore).toBeLessThan(64 * 4);
    });

    it('rejects a write whose deadline passed while queued with TIMEOUT and does not log it', async () => {
      const fs = new FaultFileSystem();
      const { log } = await openLog({ fs });
      const release = fs.holdFdatasync();
      const first = log.append([w(1)]);
      await waitUntil(() => fs.events.some((e) => e.startsWith('write')), 'first write');
      const late = log.append([w(2)], Date.now() + 5);
      await new Promise((r) => setTimeout(r, 20));
      release();
      await first;
      await expect(late).rejects.toMatchObject({ code: 'TIMEOUT', outcome: 'not_applied' });
      await log.close();
      const { applied } = await openLog();
      expect(applied.map((x) => x.key)).toEqual(['k1']);
    });
  });

  describe('periodic mode', () => {
    it('acks after the write, before any fdatasync', async () => {
      const fs = new FaultFileSystem();
      const { log } = await openLog({ fs, sync: 'periodic', syncIntervalMs: 60_000 });
      const syncs = fs.counts.fdatasync;
      await log.append([w(1)]);
      await log.append([w(2)]);
      expect(fs.counts.fdatasync).toBe(syncs);
    });

    it('fdatasyncs each interval and on close', async () => {
      const fs = new FaultFileSystem();
      const { log } = await openLog({ fs, sync: 'periodic', syncIntervalMs: 10 });
      const syncs = fs.counts.fdatasync;
      await log.append([w(1)]);
      // No sync call of ours: only the interval timer can make the write durable.
      await waitUntil(() => fs.durable(seg(1))?.includes(w(1).version.value) === true, 'periodic fdatasync');
      expect(fs.counts.fdatasync).toBeGreaterThan(syncs);
      await log.append([w(2)]);
      await log.close();
      expect(fs.durable(seg(1))!.includes(w(2).version.value)).toBe(true);
    });
  });

  describe('rotation', () => {
    it('rotates at the segment size and replays the whole chain', async () => {
      const written = await writeSequential(20, { segmentBytes: 400 });
      const segments = readdirSync(dir).filter((n) => n.endsWith('.log'));
      expect(segments.length).toBeGreaterThan(3);
      for (const name of segments.slice(0, -1)) {
        expect(recordOffsets(join(dir, name)).at(-1)!.type).toBe(0x02);
        expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(400 + 100);
      }
      const { applied } = await openLog({ segmentBytes: 400 });
      expect(applied.map(writeKey)).toEqual(written.map(writeKey));
    });
  });

  describe('recovery', () => {
    it('truncates a torn tail at every cut point of the last record, keeps all earlier records, and writes on', async () => {
      const written = await writeSequential(3);
      const recs = recordOffsets(seg(1));
      const last = recs.at(-1)!;
      const pristine = join(tmp.dir, 'pristine.log');
      copyFileSync(seg(1), pristine);
      for (let cut = last.offset + 1; cut < last.end; cut++) {
        copyFileSync(pristine, seg(1));
        writeFileSync(seg(1), readFileSync(pristine).subarray(0, cut));
        for (const n of readdirSync(dir)) if (n !== segmentFileName(1)) unlinkSync(join(dir, n));
        const { log, applied, truncated } = await openLog();
        expect(applied.map(writeKey)).toEqual(written.slice(0, 2).map(writeKey));
        expect(truncated).toBe(cut - last.offset);
        await log.close();
        open.pop();
      }
      // After the last cut, writes continue and survive another restart.
      const { log } = await openLog();
      await log.append([w(42)]);
      await log.close();
      const { applied } = await openLog();
      expect(applied.map((x) => x.key)).toEqual(['k0', 'k1', 'k42']);
    });

    it('treats a zero-filled tail as torn', async () => {
      await writeSequential(2);
      writeFileSync(seg(1), Buffer.concat([readFileSync(seg(1)), Buffer.alloc(4096)]));
      const { applied, truncated } = await openLog();
      expect(applied).toHaveLength(2);
      expect(truncated).toBe(4096);
    });

    it('refuses to start when a byte flips in a record followed by a valid durable record (newest segment)', async () => {
      await writeSequential(3);
      const recs = recordOffsets(seg(1));
      flipByte(seg(1), recs[1]!.offset + RECORD_HEADER_SIZE + 12);
      const err = await openLog().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommitLogCorruptionError);
      expect((err as PairdbError).code).toBe('CORRUPT_FILE');
      expect((err as CommitLogCorruptionError).segment).toBe(segmentFileName(1));
      expect((err as CommitLogCorruptionError).offset).toBe(recs[1]!.offset);
      // Nothing was truncated: the evidence stays for the operator.
      expect(recordOffsets(seg(1))).toHaveLength(1);
      expect(statSync(seg(1)).size).toBe(recs.at(-1)!.end);
    });

    it('refuses to start when a record of an older segment is corrupt', async () => {
      await writeSequential(2);
      await writeSequential(2); // reopen: ROTATE on segment 1, writes in segment 2
      const recs = recordOffsets(seg(1));
      flipByte(seg(1), recs[0]!.offset + 2); // the crc itself
      const err = (await openLog().catch((e: unknown) => e)) as CommitLogCorruptionError;
      expect(err.code).toBe('CORRUPT_FILE');
      expect(err.segment).toBe(segmentFileName(1));
      expect(err.offset).toBe(recs[0]!.offset);
    });

    it('refuses to start when a segment other than the newest does not end with ROTATE', async () => {
      await writeSequential(2);
      await writeSequential(1);
      const recs = recordOffsets(seg(1));
      writeFileSync(seg(1), readFileSync(seg(1)).subarray(0, recs.at(-1)!.offset)); // drop the ROTATE
      const err = (await openLog().catch((e: unknown) => e)) as CommitLogCorruptionError;
      expect(err.code).toBe('CORRUPT_FILE');
      expect(err.segment).toBe(segmentFileName(1));
    });

    it('refuses to start when a segment header is bad', async () => {
      await writeSequential(1);
      await writeSequential(1);
      flipByte(seg(1), 3);
      const err = (await openLog().catch((e: unknown) => e)) as CommitLogCorruptionError;
      expect(err.code).toBe('CORRUPT_FILE');
      expect(err.offset).toBe(0);
    });

    it('truncates unsynced bytes persisted out of order (periodic mode) instead of refusing', async () => {
      // Periodic mode with a long interval: both records carry durable_mark 24, so damage to the first is not
      // damage to durable data.
      const { log } = await openLog({ sync: 'periodic', syncIntervalMs: 60_000 });
      await log.append([w(1)]);
      await log.append([w(2)]);
      // Simulate a crash (no close: close would sync).
      const recs = recordOffsets(seg(1));
      expect(recs).toHaveLength(2);
      const copy = readFileSync(seg(1));
      open.pop();
      await log.close();
      writeFileSync(seg(1), copy);
      flipByte(seg(1), recs[0]!.offset + RECORD_HEADER_SIZE + 12);
      const { applied, truncated } = await openLog();
      expect(applied).toHaveLength(0);
      expect(truncated).toBe(recs[1]!.end - recs[0]!.offset);
    });

    it('deletes a newest segment torn at creation (short or zero header) and continues the chain', async () => {
      await writeSequential(2);
      const base = readFileSync(seg(1));
      for (const torn of [Buffer.from('pairDBcl\u0001\u0000'), Buffer.alloc(HEADER_SIZE), Buffer.alloc(0)]) {
        // The process died during a rotation: segment 1 ends with ROTATE → 2, segment 2 has no durable header.
        writeFileSync(seg(1), Buffer.concat([base, encodeRotateRecord(2)]));
        writeFileSync(seg(2), torn);
        const { log, applied } = await openLog();
        expect(applied.map((x) => x.key)).toEqual(['k0', 'k1']);
        expect(log.currentSegment).toBe(2);
        await log.append([w(7)]);
        await log.close();
        open.pop();
        expect(readFileSync(seg(2)).subarray(0, 8).toString('latin1')).toBe('pairDBcl');
        const again = await openLog();
        expect(again.applied.map((x) => x.key)).toEqual(['k0', 'k1', 'k7']);
        await again.log.close();
        open.pop();
        for (const n of readdirSync(dir)) if (n !== segmentFileName(1)) unlinkSync(join(dir, n));
      }
    });
  });

  describe('I/O errors', () => {
    it('treats an fdatasync failure as fatal: the write is rejected, onFatal runs, later appends fail', async () => {
      const fs = new FaultFileSystem();
      const fatal: Error[] = [];
      const { log } = await openLog({ fs, onFatal: (e) => fatal.push(e) });
      fs.failAt('fdatasync', 1, 'EIO');
      await expect(log.append([w(1)])).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(fatal).toHaveLength(1);
      await expect(log.append([w(2)])).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    });

    it('fails a batch with DISK_FULL on ENOSPC, truncates the partial write and keeps working once space frees', async () => {
      const fs = new FaultFileSystem();
      const fatal: Error[] = [];
      const { log } = await openLog({ fs, onFatal: (e) => fatal.push(e) });
      await log.append([w(1)]);
      const size = statSync(seg(1)).size;
      fs.enospcAfter(10);
      await expect(log.append([w(2)])).rejects.toMatchObject({ code: 'DISK_FULL', outcome: 'not_applied' });
      expect(statSync(seg(1)).size).toBe(size);
      expect(fatal).toEqual([]);
      fs.clearFaults();
      await log.append([w(3)]);
      await log.close();
      const { applied } = await openLog();
      expect(applied.map((x) => x.key)).toEqual(['k1', 'k3']);
    });

    it('fails a batch with DISK_FULL when the next segment cannot be created, leaving a consistent chain', async () => {
      const fs = new FaultFileSystem();
      const { log } = await openLog({ fs, segmentBytes: 300 });
      for (let i = 0; i < 3; i++) await log.append([w(i)]); // fills segment 1 close to its size
      fs.failAt('write', 2, 'ENOSPC'); // the ROTATE goes through, the new segment's header does not
      const before = log.currentSegment;
      expect(statSync(seg(before)).size + 80).toBeGreaterThan(300); // the next batch does not fit: rotation
      await expect(log.append([w(10)])).rejects.toMatchObject({ code: 'DISK_FULL' });
      expect(log.currentSegment).toBe(before);
      expect(recordOffsets(seg(before)).at(-1)!.type).toBe(0x01); // the ROTATE was taken back
      expect(readdirSync(dir)).toEqual([segmentFileName(before)]); // no half-made segment left
      await log.append([w(11)]); // space is back: rotation succeeds now
      expect(log.currentSegment).toBe(before + 1);
      await log.close();
      const { applied } = await openLog({ segmentBytes: 300 });
      expect(applied.map((x) => x.key)).toEqual(['k0', 'k1', 'k2', 'k11']);
    });

    it('treats an fdatasync failure during rotation as fatal', async () => {
      const fs = new FaultFileSystem();
      const fatal: Error[] = [];
      const { log } = await openLog({ fs, segmentBytes: 300, onFatal: (e) => fatal.push(e) });
      for (let i = 0; i < 3; i++) await log.append([w(i)]);
      fs.failAt('fdatasync', 1, 'EIO');
      await expect(log.append([w(10)])).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(fatal).toHaveLength(1);
    });

    it('rejects appends after close with SERVICE_UNAVAILABLE', async () => {
      const { log } = await openLog();
      await log.close();
      await expect(log.append([w(1)])).rejects.toBeInstanceOf(PairdbError);
    });
  });
});
