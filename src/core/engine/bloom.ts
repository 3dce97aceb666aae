/**
 * The SSTable bloom filter, scheme 1 (storage-engine.md §4): double hashing over murmur3_x86_32.
 *
 *   h1 = murmur3_x86_32(ckey, 0), h2 = murmur3_x86_32(ckey, 0x9747b28c)
 *   probe i (0..k-1) sets bit ((h1 + i·h2) mod 2^32) mod m_bits; bit b is byte b>>3, mask 1 << (b & 7)
 *   m_bits = max(64, n_keys × bits_per_key rounded up to a multiple of 8), k = round(bits_per_key × ln 2) clamped 1..30
 *
 * Pure: no I/O. The block encoding lives in sstable-format.ts.
 */

export const BLOOM_SCHEME = 1;
export const BLOOM_SEED_1 = 0;
export const BLOOM_SEED_2 = 0x9747b28c;
export const DEFAULT_BLOOM_BITS_PER_KEY = 10;
export const MIN_BLOOM_BITS = 64;

/** murmur3_x86_32 of `data[start, end)` with `seed`, as an unsigned 32-bit number. */
export function murmur3(data: Uint8Array, seed: number, start = 0, end = data.length): number {
  let h = seed >>> 0;
  const len = end - start;
  const blocksEnd = start + (len & ~3);
  let i = start;
  for (; i < blocksEnd; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = len & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= data[i + 2]! << 16;
    if (tail >= 2) k ^= data[i + 1]! << 8;
    k ^= data[i]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** k = round(bits_per_key × ln 2), clamped 1..30. */
export function bloomK(bitsPerKey: number): number {
  return Math.min(30, Math.max(1, Math.round(bitsPerKey * Math.LN2)));
}

/** m_bits = max(64, n_keys × bits_per_key rounded up to a multiple of 8). */
export function bloomMBits(nKeys: number, bitsPerKey: number): number {
  return Math.max(MIN_BLOOM_BITS, Math.ceil((nKeys * bitsPerKey) / 8) * 8);
}

/** The k bit positions probed for a key with hashes h1, h2 (the §4 vector test uses this directly). */
export function bloomBits(h1: number, h2: number, k: number, mBits: number): number[] {
  const out: number[] = new Array(k);
  let h = h1 >>> 0;
  for (let i = 0; i < k; i++) {
    out[i] = h % mBits;
    h = (h + h2) >>> 0;
  }
  return out;
}

/** Expected false-positive rate (1 − e^(−k·n/m))^k. */
export function bloomFpRate(k: number, nKeys: number, mBits: number): number {
  if (mBits === 0) return 1;
  return Math.pow(1 - Math.exp((-k * nKeys) / mBits), k);
}

/**
 * A bloom filter over a bit array. The array may be a view into a pinned, CRC-verified block (no copy on open).
 */
export class BloomFilter {
  readonly k: number;
  readonly nKeys: number;
  readonly mBits: number;
  readonly bits: Uint8Array;

  constructor(k: number, nKeys: number, mBits: number, bits: Uint8Array) {
    if (bits.length * 8 !== mBits) throw new RangeError('bloom bit array length does not match m_bits');
    this.k = k;
    this.nKeys = nKeys;
    this.mBits = mBits;
    this.bits = bits;
  }

  /** An empty filter sized for `nKeys` keys. */
  static forKeys(nKeys: number, bitsPerKey = DEFAULT_BLOOM_BITS_PER_KEY): BloomFilter {
    const m = bloomMBits(nKeys, bitsPerKey);
    return new BloomFilter(bloomK(bitsPerKey), nKeys, m, new Uint8Array(m >>> 3));
  }

  addHashes(h1: number, h2: number): void {
    const m = this.mBits;
    const bits = this.bits;
    let h = h1 >>> 0;
    for (let i = 0; i < this.k; i++) {
      const b = h % m;
      bits[b >>> 3]! |= 1 << (b & 7);
      h = (h + h2) >>> 0;
    }
  }

  add(key: Uint8Array): void {
    this.addHashes(murmur3(key, BLOOM_SEED_1), murmur3(key, BLOOM_SEED_2));
  }

  /** False means certainly absent; true means maybe present. */
  mayContain(key: Uint8Array): boolean {
    return this.mayContainHashes(murmur3(key, BLOOM_SEED_1), murmur3(key, BLOOM_SEED_2));
  }

  /**
   * mayContain for a key whose scheme-1 hashes h1 = murmur3(key, BLOOM_SEED_1), h2 = murmur3(key, BLOOM_SEED_2) are
   * already known: every table uses the same hashes, so a read probing several tables hashes the key once.
   */
  mayContainHashes(h1: number, h2: number): boolean {
    const m = this.mBits;
    const bits = this.bits;
    let h = h1 >>> 0;
    for (let i = 0; i < this.k; i++) {
      const b = h % m;
      if ((bits[b >>> 3]! & (1 << (b & 7))) === 0) return false;
      h = (h + h2) >>> 0;
    }
    return true;
  }

  /** Share of bits set (inspect's fill_ratio). */
  fillRatio(): number {
    let set = 0;
    for (const byte of this.bits) {
      let b = byte;
      while (b) {
        set += b & 1;
        b >>>= 1;
      }
    }
    return this.mBits === 0 ? 0 : set / this.mBits;
  }
}
