import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { clockFrom } from '../../../src/core/model/vector-clock.js';
import type { Version } from '../../../src/core/model/version.js';
import {
  CorruptionError,
  decodeVersion,
  decodeVersionSet,
  encodeVersion,
  encodeVersionSet,
  encodedVersionSize,
  readVarint,
  varintSize,
  writeVarint,
} from '../../../src/core/model/version-codec.js';
import { ver } from '../engine/helpers.js';

const GOLDEN: Version = {
  clock: clockFrom({ c1: 1 }),
  value: Buffer.from('1'),
  tombstone: false,
  lww: false,
  timestampMs: 1_700_000_000_000,
  writerId: 'c1',
  writeId: Buffer.alloc(0),
};

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('canonical version encoding', () => {
  it('matches the storage-engine.md §1 golden vector and its crc32', () => {
    const enc = encodeVersion(GOLDEN);
    expect(enc.toString('hex')).toBe('0080d095ffbc310263310001026331010131');
    expect(enc.length).toBe(18);
    expect(crc32(enc)).toBe(0x92b7a23a);
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(encodedVersionSize(GOLDEN)).toBe(18);
  });

  it('round-trips tombstones, lww, multi-byte actors, write ids and large counters (seeded)', () => {
    const rnd = seeded(9);
    for (let i = 0; i < 300; i++) {
      const v = ver({
        writer: ['c1', 'coord-\u00e9', '\u{1F600}'][i % 3]!,
        ht: 1 + Math.floor(rnd() * Number.MAX_SAFE_INTEGER),
        clock: rnd() < 0.5 ? { other: 1 + Math.floor(rnd() * 1000) } : {},
        value: Buffer.from(Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256))),
        tombstone: rnd() < 0.3,
        lww: rnd() < 0.5,
        writeId: Buffer.from(Array.from({ length: Math.floor(rnd() * 17) }, () => Math.floor(rnd() * 256))),
      });
      const enc = encodeVersion(v);
      expect(enc.length).toBe(encodedVersionSize(v));
      const back = decodeVersion(enc);
      expect(encodeVersion(back).equals(enc)).toBe(true);
      expect(back.tombstone).toBe(v.tombstone);
      expect(back.lww).toBe(v.lww);
      expect(back.writerId).toBe(v.writerId);
      expect(back.clock).toEqual(v.clock);
    }
  });

  it('rejects every truncation and any trailing byte', () => {
    const enc = encodeVersion(ver({ value: '"some value"', writeId: 'wid', clock: { c2: 300 } }));
    for (let n = 0; n < enc.length; n++) expect(() => decodeVersion(enc.subarray(0, n))).toThrow(CorruptionError);
    expect(() => decodeVersion(Buffer.concat([enc, Buffer.from([0])]))).toThrow(CorruptionError);
  });

  it('rejects flags bits 2-7', () => {
    const enc = Buffer.from(encodeVersion(GOLDEN));
    enc[0] = 0x04;
    expect(() => decodeVersion(enc)).toThrow(CorruptionError);
  });
});

describe('varint', () => {
  it('round-trips up to 2^53-1 in at most 8 bytes', () => {
    for (const n of [0, 1, 127, 128, 300, 2 ** 32, 2 ** 49, Number.MAX_SAFE_INTEGER]) {
      const buf = Buffer.alloc(10);
      const end = writeVarint(buf, 0, n);
      expect(end).toBe(varintSize(n));
      expect(end).toBeLessThanOrEqual(8);
      expect(readVarint(buf, 0, end)).toEqual([n, end]);
    }
  });

  it('treats a varint longer than 8 bytes, above 2^53-1 or cut short as corruption', () => {
    expect(() => readVarint(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 0)).toThrow(CorruptionError);
    expect(() => readVarint(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), 0)).toThrow(CorruptionError);
    expect(() => readVarint(Buffer.from([0x80, 0x80]), 0)).toThrow(CorruptionError);
    expect(() => readVarint(Buffer.from([0x05]), 0, 0)).toThrow(CorruptionError);
  });
});

describe('version set encoding', () => {
  it('sorts versions by encoding so equal sets encode identically', () => {
    const a = ver({ writer: 'c1', ht: 5 });
    const b = ver({ writer: 'c2', ht: 7, tombstone: true });
    const x = encodeVersionSet([a, b]);
    expect(x.equals(encodeVersionSet([b, a]))).toBe(true);
    const back = decodeVersionSet(x);
    expect(encodeVersionSet(back).equals(x)).toBe(true);
    expect(encodeVersionSet([]).equals(Buffer.from([0]))).toBe(true);
  });

  it('rejects trailing bytes and lengths past the end', () => {
    const x = encodeVersionSet([ver({})]);
    expect(() => decodeVersionSet(Buffer.concat([x, Buffer.from([1])]))).toThrow(CorruptionError);
    for (let n = 0; n < x.length; n++) expect(() => decodeVersionSet(x.subarray(0, n))).toThrow(CorruptionError);
  });
});
