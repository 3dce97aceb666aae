import { describe, expect, it } from 'vitest';
import {
  BLOOM_SEED_1,
  BLOOM_SEED_2,
  BloomFilter,
  bloomBits,
  bloomFpRate,
  bloomK,
  bloomMBits,
  murmur3,
} from '../../../src/core/engine/bloom.js';

describe('murmur3_x86_32 (storage-engine.md §4 vectors)', () => {
  it('matches the spec vectors', () => {
    expect(murmur3(Buffer.alloc(0), 0)).toBe(0);
    expect(murmur3(Buffer.alloc(0), 1)).toBe(0x514e28b7);
    expect(murmur3(Buffer.from('hello'), 0)).toBe(0x248bfa47);
  });

  it('matches well-known reference values for every tail length', () => {
    // Published murmur3_x86_32 vectors (SMHasher / Wikipedia test suite).
    expect(murmur3(Buffer.alloc(0), 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0)).toBe(0x76293b50);
    expect(murmur3(Buffer.from([0x21, 0x43, 0x65, 0x87]), 0)).toBe(0xf55b516b);
    expect(murmur3(Buffer.from([0x21, 0x43, 0x65]), 0)).toBe(0x7e4a8634);
    expect(murmur3(Buffer.from([0x21, 0x43]), 0)).toBe(0xa0f7b07a);
    expect(murmur3(Buffer.from([0x21]), 0)).toBe(0x72661cf4);
    expect(murmur3(Buffer.from('Hello, world!'), 0x9747b28c)).toBe(0x24884cba);
    expect(murmur3(Buffer.from('The quick brown fox jumps over the lazy dog'), 0x9747b28c)).toBe(0x2fa826cd);
  });

  it('hashes a sub-range like the same bytes on their own', () => {
    const buf = Buffer.from('xxacme\0user:42yy');
    expect(murmur3(buf, 7, 2, buf.length - 2)).toBe(murmur3(Buffer.from('acme\0user:42'), 7));
  });
});

describe('bloom scheme 1', () => {
  it('gives the spec bit positions for acme\\0user:42 at m=1000', () => {
    const ckey = Buffer.from('acme\0user:42');
    const h1 = murmur3(ckey, BLOOM_SEED_1);
    const h2 = murmur3(ckey, BLOOM_SEED_2);
    expect(h1).toBe(0xfcf233fb);
    expect(h2).toBe(0x984d02f0);
    expect(bloomBits(h1, h2, 7, 1000)).toEqual([451, 11, 571, 427, 987, 843, 403]);
    // And the filter sets exactly those bits.
    const f = new BloomFilter(7, 1, 1000, new Uint8Array(125));
    f.add(ckey);
    const set: number[] = [];
    for (let b = 0; b < 1000; b++) if (f.bits[b >> 3]! & (1 << (b & 7))) set.push(b);
    expect(set).toEqual([11, 403, 427, 451, 571, 843, 987]);
    expect(f.mayContain(ckey)).toBe(true);
  });

  it('sizes m and k as §4 says', () => {
    expect(bloomK(10)).toBe(7);
    expect(bloomK(0.1)).toBe(1);
    expect(bloomK(100)).toBe(30);
    expect(bloomMBits(0, 10)).toBe(64);
    expect(bloomMBits(1, 10)).toBe(64);
    expect(bloomMBits(7, 10)).toBe(72);
    expect(bloomMBits(1000, 10)).toBe(10000);
    expect(bloomMBits(3, 3)).toBe(64);
    expect(bloomMBits(101, 3)).toBe(304);
  });

  it('never gives a false negative and has a false-positive rate near the estimate', () => {
    const n = 2000;
    const f = BloomFilter.forKeys(n);
    for (let i = 0; i < n; i++) f.add(Buffer.from(`t\0key-${i}`));
    for (let i = 0; i < n; i++) expect(f.mayContain(Buffer.from(`t\0key-${i}`))).toBe(true);
    let fp = 0;
    const probes = 20000;
    for (let i = 0; i < probes; i++) if (f.mayContain(Buffer.from(`t\0other-${i}`))) fp++;
    const est = bloomFpRate(f.k, n, f.mBits);
    expect(est).toBeGreaterThan(0.005);
    expect(est).toBeLessThan(0.012);
    // Generous bound: 3× the estimate (≈ 0.8 %) still fails a broken hash or probe sequence.
    expect(fp / probes).toBeLessThan(est * 3);
    expect(f.fillRatio()).toBeGreaterThan(0.4);
    expect(f.fillRatio()).toBeLessThan(0.6);
  });

  it('refuses a bit array that does not match m_bits', () => {
    expect(() => new BloomFilter(7, 1, 64, new Uint8Array(7))).toThrow(RangeError);
  });
});
