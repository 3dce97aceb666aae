import type { Version } from '../model/version.js';
import { CorruptionError } from '../model/version-codec.js';
import {
  HEADER_SIZE,
  RECORD_BATCH,
  RECORD_HEADER_SIZE,
  RECORD_ROTATE,
  checkSegmentHeader,
  decodeBatchPayload,
  decodeRotatePayload,
  durableMarkOf,
  readRecordAt,
  readU64,
} from './commit-log-format.js';

/**
 * `pairdb commitlog dump` (storage-engine.md §10), pure: one segment's bytes → the JSON-line objects, judging the
 * tail with the §2 recovery rules applied to this one file. No I/O; the command reads files and prints.
 */

export type DumpLine = Record<string, unknown>;
export type TailState = 'clean' | 'torn' | 'corrupt';

export interface SegmentDumpOptions {
  /** Only writes of this tenant get a `write` line (batch lines and counts still cover the whole file). */
  readonly tenant?: string;
  /** `write` lines without `version`. */
  readonly keysOnly?: boolean;
  /**
   * Whether the file is the newest segment (default true: a lone file is judged as recovery would judge the newest
   * segment). In an older segment any bad record is corruption.
   */
  readonly newest?: boolean;
}

export interface SegmentDumpResult {
  /** The segment number from the header (or the name when the header is unusable), undefined if neither. */
  readonly segment: number | undefined;
  readonly tail: TailState;
  readonly badOffset: number | null;
  /** Why the tail is torn or corrupt. */
  readonly what: string | undefined;
  /** `next_segment` of the file's ROTATE record, if it has one. */
  readonly rotateTo: number | undefined;
  readonly records: number;
  readonly writes: number;
  readonly validBytes: number;
}

/** Version object V of §10. write_id is hex (ids are random bytes, not text). */
export function versionJson(v: Version): DumpLine {
  const clock: Record<string, number> = {};
  for (const e of v.clock) clock[e.actor] = e.counter;
  return {
    tombstone: v.tombstone,
    lww: v.lww,
    clock,
    ts: v.timestampMs,
    writer: v.writerId,
    write_id: v.writeId.toString('hex'),
    value_b64: v.tombstone ? null : v.value.toString('base64'),
    value_len: v.value.length,
  };
}

interface DecodedWrite {
  offset: number;
  tenant: string;
  key: string;
  ckeyHex: string;
  version: Version;
}

/** Decodes a BATCH payload (throws CorruptionError like replay does), keeping each write's offset. */
function decodeBatch(buf: Buffer, start: number, end: number): { durableMark: number; writes: DecodedWrite[] } {
  const batch = decodeBatchPayload(buf, start, end);
  const writes = batch.writes.map((w, i) => ({
    offset: batch.offsets[i]!,
    tenant: w.tenantId,
    key: w.key,
    ckeyHex: Buffer.from(`${w.tenantId}\u0000${w.key}`, 'utf8').toString('hex'),
    version: w.version,
  }));
  return { durableMark: batch.durableMark, writes };
}

/**
 * Emits the `header`, `batch`, `write` and `rotate` lines of one segment in file order, then its `end` line, and
 * returns the verdict. Lines are emitted as they are decoded so a large segment streams; a batch's lines appear
 * only once the whole batch decoded.
 */
export function dumpSegment(buf: Buffer, nameNumber: number | undefined, emit: (line: DumpLine) => void, opts: SegmentDumpOptions = {}): SegmentDumpResult {
  const newest = opts.newest ?? true;
  let records = 0;
  let writes = 0;
  let rotateTo: number | undefined;
  let segment = nameNumber;
  const finish = (tail: TailState, badOffset: number | null, validBytes: number, what?: string): SegmentDumpResult => {
    emit({ t: 'end', records, writes, valid_bytes: validBytes, file_bytes: buf.length, tail, bad_offset: badOffset });
    return { segment, tail, badOffset, what, rotateTo, records, writes, validBytes };
  };

  if (buf.length < HEADER_SIZE || buf.subarray(0, HEADER_SIZE).every((b) => b === 0)) {
    // §2: a newest segment shorter than its header or with an all-zero header is a torn creation (recovery deletes it).
    return newest ? finish('torn', 0, 0, 'segment torn at creation') : finish('corrupt', 0, 0, 'short or zeroed header');
  }
  let headerNumber: number | undefined;
  try {
    headerNumber = readU64(buf, 12);
  } catch {
    headerNumber = undefined;
  }
  const bad = checkSegmentHeader(buf, nameNumber ?? headerNumber ?? -1);
  if (bad) return finish('corrupt', 0, 0, bad);
  segment = headerNumber;
  emit({ t: 'header', segment, version: buf.readUInt32LE(8) });

  let off = HEADER_SIZE;
  while (off < buf.length) {
    if (rotateTo !== undefined) return finish('corrupt', off, off, 'bytes after a ROTATE record');
    const rec = readRecordAt(buf, off);
    if (!rec) {
      if (!newest) return finish('corrupt', off, off, 'bad record in a segment that is not the newest');
      let maxMark = -1;
      for (let y = off + 1; y + RECORD_HEADER_SIZE <= buf.length; y++) {
        const later = readRecordAt(buf, y);
        if (!later) continue;
        maxMark = Math.max(maxMark, durableMarkOf(buf, later));
        y = later.end - 1;
      }
      if (maxMark > off) return finish('corrupt', off, off, `bad record; a later record marks ${maxMark} durable`);
      return finish('torn', off, off, maxMark < 0 ? 'torn tail' : 'unsynced bytes persisted out of order');
    }
    const crc = `0x${buf.readUInt32LE(off).toString(16).padStart(8, '0')}`;
    try {
      if (rec.type === RECORD_ROTATE) {
        rotateTo = decodeRotatePayload(buf, off + RECORD_HEADER_SIZE, rec.end);
        emit({ t: 'rotate', offset: off, next_segment: rotateTo });
      } else if (rec.type === RECORD_BATCH) {
        const batch = decodeBatch(buf, off + RECORD_HEADER_SIZE, rec.end);
        if (batch.durableMark > off) throw new CorruptionError('durable_mark beyond its own record');
        emit({ t: 'batch', offset: off, length: rec.length, crc, durable_mark: batch.durableMark, writes: batch.writes.length });
        batch.writes.forEach((w, i) => {
          if (opts.tenant !== undefined && w.tenant !== opts.tenant) return;
          const line: DumpLine = { t: 'write', offset: w.offset, i, tenant: w.tenant, key: w.key, ckey_hex: w.ckeyHex };
          if (!opts.keysOnly) line.version = versionJson(w.version);
          emit(line);
        });
        writes += batch.writes.length;
      }
    } catch (err) {
      // Valid framing, undecodable payload: written that way, not torn (recovery refuses too).
      if (err instanceof CorruptionError) return finish('corrupt', off, off, err.message);
      throw err;
    }
    records++;
    off = rec.end;
  }
  return finish('clean', null, buf.length);
}
