import { describe, expect, it } from 'vitest';
import { RECORD_HEADER_SIZE, readRecordAt } from '../../../src/core/engine/commit-log-format.js';
import {
  type ManifestEdit,
  type TableMeta,
  EMPTY_STATE,
  RECORD_EDIT,
  RECORD_SNAPSHOT,
  applyEdit,
  checkManifestHeader,
  decodeEdit,
  decodeSnapshot,
  editToJson,
  encodeManifestHeader,
  encodeManifestRecord,
  parseCurrentFile,
  snapshotToJson,
} from '../../../src/core/engine/manifest-format.js';
import { CorruptionError } from '../../../src/core/model/version-codec.js';

const t = (file: number, level: number, minKey: string, maxKey: string): TableMeta => ({
  file,
  level,
  size: 4096 * file,
  minKey,
  maxKey,
  keys: 10,
  tombstones: 1,
  oldestTombstoneTs: null,
});

const payloadOf = (rec: Buffer): Buffer => rec.subarray(RECORD_HEADER_SIZE);

describe('manifest format', () => {
  it('round-trips a SNAPSHOT and an EDIT through framed records, in the spec member order', () => {
    const state = applyEdit(
      { ...EMPTY_STATE, nextFile: 100 },
      { reason: 'flush', add: [t(5, 0, '00', '10'), t(7, 0, '05', '20'), t(9, 1, '30', '40')], logStart: 8 },
      (m) => new Error(m),
    );
    const snap = encodeManifestRecord(RECORD_SNAPSHOT, snapshotToJson(state));
    const rec = readRecordAt(snap, 0)!;
    expect(rec.type).toBe(RECORD_SNAPSHOT);
    expect(rec.end).toBe(snap.length);
    const back = decodeSnapshot(payloadOf(snap));
    expect(snapshotToJson(back)).toEqual(snapshotToJson(state));
    expect(back.tables.get(0)!.map((x) => x.file)).toEqual([7, 5]); // L0 newest first
    expect(payloadOf(snap).toString('utf8')).toMatch(/^\{"next_file":100,"log_start":8,"tables":\[\{"file":7,"level":0,"size":28672,"min_key":"05","max_key":"20","keys":10,"tombstones":1,"oldest_tombstone_ts":null\}/);

    const edit: ManifestEdit = { reason: 'compaction', remove: [{ file: 5, level: 0 }], add: [t(11, 1, '00', '10')], logStart: 9, nextFile: 120 };
    const er = encodeManifestRecord(RECORD_EDIT, editToJson(edit));
    expect(readRecordAt(er, 0)!.type).toBe(RECORD_EDIT);
    expect(editToJson(decodeEdit(payloadOf(er)))).toEqual(editToJson(edit));
  });

  it('rejects every truncation and a trailing byte inside a record frame', () => {
    const er = encodeManifestRecord(RECORD_EDIT, editToJson({ reason: 'flush', add: [t(3, 0, 'aa', 'bb')] }));
    for (let n = 0; n < er.length; n++) expect(readRecordAt(er.subarray(0, n), 0)).toBeUndefined();
    // A payload one byte longer than its length field says is not this record (the extra byte is the next one's).
    const longer = Buffer.concat([er, Buffer.from([0x7b])]);
    expect(readRecordAt(longer, 0)!.end).toBe(er.length);
  });

  it('rejects malformed payloads as corruption and ignores unknown members', () => {
    const bad = ['not json', '[]', '{"reason":"nope"}', '{"reason":"flush","add":[{"file":0}]}', '{"reason":"flush","log_start":-1}', '{"reason":"flush","add":[{"file":2,"level":0,"size":1,"min_key":"AB","max_key":"ff","keys":1,"tombstones":0,"oldest_tombstone_ts":null}]}'];
    for (const s of bad) expect(() => decodeEdit(Buffer.from(s))).toThrow(CorruptionError);
    expect(() => decodeSnapshot(Buffer.from('{"next_file":2,"log_start":0,"tables":[{"file":2,"level":0,"size":1,"min_key":"","max_key":"","keys":0,"tombstones":0,"oldest_tombstone_ts":null}]}'))).toThrow(CorruptionError);
    expect(() => decodeSnapshot(Buffer.from([0xff, 0xfe]))).toThrow(CorruptionError);
    expect(decodeEdit(Buffer.from('{"reason":"move","future":true}')).reason).toBe('move');
  });

  it('validates the header and CURRENT content', () => {
    const h = encodeManifestHeader(42);
    expect(h.length).toBe(24);
    expect(h.subarray(0, 8).toString('latin1')).toBe('pairDBmf');
    expect(checkManifestHeader(h, 42)).toBeUndefined();
    expect(checkManifestHeader(h, 43)).toBeDefined();
    const flipped = Buffer.from(h);
    flipped[10]! ^= 1;
    expect(checkManifestHeader(flipped, 42)).toBeDefined();
    expect(parseCurrentFile(Buffer.from('MANIFEST-00000000000000000042\n'))).toBe(42);
    for (const s of ['MANIFEST-00000000000000000042', 'MANIFEST-42\n', 'MANIFEST-00000000000000000042\n\n', '']) {
      expect(parseCurrentFile(Buffer.from(s))).toBeUndefined();
    }
  });
});
