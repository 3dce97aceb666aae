/**
 * The row cache's frequency sketch (storage-engine.md §7): a count-min sketch of 4 rows × `width` 4-bit counters.
 * `width` is a power of two so a row index is a mask. Counters are packed 8 to a Uint32Array word, which makes the
 * periodic halving one shift-and-mask per word: `(w >>> 1) & 0x77777777` halves all 8 nibbles at once.
 *
 * Every increment counts towards the sample; after `10 × width` increments every counter is halved (the "reset" of
 * TinyLFU), so old popularity decays and a key that was hot an hour ago cannot block admissions forever. Halving
 * costs width/2 word operations every 10 × width increments: O(1) amortized.
 *
 * Callers pass a 32-bit hash (see hashKey); the four row indices come from it by double hashing
 * (h1 + r·h2, Kirsch–Mitzenmacher), so one key costs one string hash however many rows there are.
 */

const ROWS = 4;
const MAX_COUNT = 15;
/** Halving threshold = SAMPLE_FACTOR × width increments (§7). */
const SAMPLE_FACTOR = 10;

/** Next power of two ≥ n (n ≥ 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** FNV-1a over the UTF-16 code units of a string, finished with a murmur3 fmix32 so low bits are well mixed. */
export function hashKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class CountMinSketch {
  /** Counters per row (a power of two). */
  readonly width: number;
  /** Increments between two halvings. */
  readonly sampleSize: number;
  readonly #mask: number;
  readonly #table: Uint32Array;
  #increments = 0;
  #halvings = 0;

  constructor(width: number) {
    if (!Number.isInteger(width) || width < 1 || nextPowerOfTwo(width) !== width) {
      throw new RangeError(`sketch width must be a power of two ≥ 1, got ${width}`);
    }
    this.width = width;
    this.sampleSize = SAMPLE_FACTOR * width;
    this.#mask = width - 1;
    this.#table = new Uint32Array(Math.ceil((ROWS * width) / 8));
  }

  /** Sketch width for a cache of `capacity` bytes: the next power of two ≥ capacity/256 (§7). */
  static widthFor(capacity: number): number {
    return nextPowerOfTwo(Math.max(1, Math.ceil(capacity / 256)));
  }

  /** Increments since the last halving. */
  get increments(): number {
    return this.#increments;
  }

  /** How many times all counters were halved. */
  get halvings(): number {
    return this.#halvings;
  }

  /** Bytes of counter storage (4 rows × width × 4 bits). */
  get byteLength(): number {
    return this.#table.byteLength;
  }

  /** Estimated access count of a key (0..15): the least of its four counters. */
  frequency(hash: number): number {
    const h2 = secondHash(hash);
    let min = MAX_COUNT;
    for (let r = 0; r < ROWS; r++) {
      const c = this.#get(this.#index(hash, h2, r));
      if (c < min) min = c;
    }
    return min;
  }

  /** Records one access; counters saturate at 15. Halves every counter once the sample is full. */
  increment(hash: number): void {
    const h2 = secondHash(hash);
    for (let r = 0; r < ROWS; r++) {
      const i = this.#index(hash, h2, r);
      const word = i >>> 3;
      const shift = (i & 7) << 2;
      const w = this.#table[word]!;
      if (((w >>> shift) & 0xf) < MAX_COUNT) this.#table[word] = (w + (1 << shift)) >>> 0;
    }
    if (++this.#increments >= this.sampleSize) this.#halve();
  }

  /** Zeroes every counter (cache clear()). */
  reset(): void {
    this.#table.fill(0);
    this.#increments = 0;
  }

  #halve(): void {
    const t = this.#table;
    for (let i = 0; i < t.length; i++) t[i] = (t[i]! >>> 1) & 0x77777777;
    this.#increments = 0;
    this.#halvings++;
  }

  #index(h1: number, h2: number, row: number): number {
    // Row r owns counters [r·width, (r+1)·width).
    return row * this.width + ((h1 + Math.imul(row, h2)) & this.#mask);
  }

  #get(i: number): number {
    return (this.#table[i >>> 3]! >>> ((i & 7) << 2)) & 0xf;
  }
}

/** An odd second hash (odd so that with a power-of-two width the row indices walk every slot). */
function secondHash(h: number): number {
  return (fmix32(h ^ 0x9e3779b9) | 1) >>> 0;
}
