import { basename } from 'node:path';
import { PairdbError } from '../errors.js';
import { type Version, reduce } from '../model/version.js';
import { CorruptionError, decodeVersionSet, encodeVersion, readVarint } from '../model/version-codec.js';
import { type BloomFilter, bloomMBits } from './bloom.js';
import { type FileSystem, readWholeFile } from './file-system.js';
import {
  BLOCK_BLOOM,
  BLOCK_DATA,
  BLOCK_INDEX,
  BLOCK_PROPERTIES,
  type BlockKind,
  DataBlock,
  FOOTER_SIZE,
  type Footer,
  IndexBlock,
  SSTableFormatError,
  type TableProperties,
  compareBytes,
  crc32Continue,
  decodeBloomPayload,
  decodeFooter,
  decodePropertiesPayload,
  emptySetStats,
  openBlock,
  parseSstFileName,
  setStats,
} from './sstable-format.js';
import type { SSTableEntry } from './sstable-writer.js';
import { NO_WRITE_IDS, type WriteIdEntry, readWriteIds } from './write-ids.js';

/**
 * Reads one published SSTable (storage-engine.md §4, §7, §10). Open checks the footer and pins the CRC-verified
 * index, bloom and properties blocks; every data block is CRC-verified before use. Any mismatch, malformed entry,
 * short read or key-order violation throws SSTableCorruptionError naming the file and the file offset; never a
 * partial result.
 */

/**
 * A table that cannot be trusted: §7's DataLossError{file, offset, what}. Code CORRUPT_FILE (gRPC DATA_LOSS,
 * exit 7); the storage daemon answers client reads with CHECKSUM_MISMATCH carrying the same message.
 */
export class SSTableCorruptionError extends PairdbError {
  readonly file: string;
  readonly offset: number;
  readonly what: string;

  constructor(file: string, offset: number, what: string, cause?: unknown) {
    super('CORRUPT_FILE', `sstable corruption: ${file} offset ${offset}: ${what}`, { cause });
    this.file = file;
    this.offset = offset;
    this.what = what;
  }
}

/**
 * What SSTableReader.lookupCached answers when the data block that would hold the key is not in the block cache:
 * the caller goes on with lookupUncached() (or lookup()), which reads it from disk.
 */
export const BLOCK_MISS: unique symbol = Symbol('pairdb.sstable.block-miss');
export type BlockMiss = typeof BLOCK_MISS;

/**
 * Verified data blocks shared between readers (§7 block cache); keyed by file number and block offset. Only
 * SSTableReader sets blocks, and only after their CRC, framing and key order were checked.
 */
export interface BlockCache {
  get(fileNumber: number, offset: number): DataBlock | undefined;
  set(fileNumber: number, offset: number, block: DataBlock): void;
  /** Whether the block is cached, without counting a hit or miss or touching recency. Optional (readahead). */
  has?(fileNumber: number, offset: number): boolean;
  /** Bytes the cache can still take before it must evict. Optional: without it (or has) there is no readahead. */
  readonly spareBytes?: number;
}

/**
 * Most bytes one block-cache miss reads from disk: the missing block plus uncached neighbours, and only as many as
 * the cache has spare room for (never evicting for a guess). While a cache warms up (after a restart) this turns
 * ~16 positional reads into one; once the cache is full every miss reads just its block.
 */
export const READAHEAD_BYTES = 64 * 1024;
/** Bytes of consecutive data blocks one uncached pass (compaction, scan) reads at a time. */
export const SCAN_CHUNK_BYTES = 1024 * 1024;

export interface SSTableReaderOptions {
  /** For the block cache key; default: parsed from the file name (`<20 digits>.sst`), else -1 (no caching). */
  readonly fileNumber?: number;
  readonly blockCache?: BlockCache;
}

/** An entry as found in the file, with where it was found (dump). */
export interface SSTableScanEntry extends SSTableEntry {
  /** Data block number. */
  readonly block: number;
  /** File offset of the entry. */
  readonly offset: number;
}

async function readExactly(fs: FileSystem, fd: number, position: number, length: number): Promise<Buffer | undefined> {
  const buf = Buffer.allocUnsafe(length);
  let off = 0;
  while (off < length) {
    const n = await fs.read(fd, buf, off, length - off, position + off);
    if (n === 0) return undefined;
    off += n;
  }
  return buf;
}

export class SSTableReader {
  readonly path: string;
  readonly fileNumber: number;
  readonly size: number;
  readonly footer: Footer;
  readonly index: IndexBlock;
  readonly bloom: BloomFilter;
  readonly properties: TableProperties;
  readonly #fs: FileSystem;
  readonly #fd: number;
  readonly #cache: BlockCache | undefined;
  /** Disk reads of data blocks in flight, by block number: concurrent misses on one block share one read. */
  readonly #loading = new Map<number, Promise<DataBlock>>();
  #closed = false;

  private constructor(
    fs: FileSystem,
    fd: number,
    path: string,
    fileNumber: number,
    size: number,
    footer: Footer,
    index: IndexBlock,
    bloom: BloomFilter,
    properties: TableProperties,
    cache: BlockCache | undefined,
  ) {
    this.#fs = fs;
    this.#fd = fd;
    this.path = path;
    this.fileNumber = fileNumber;
    this.size = size;
    this.footer = footer;
    this.index = index;
    this.bloom = bloom;
    this.properties = properties;
    this.#cache = cache;
  }

  /**
   * Opens a table: size ≥ 64, footer magic, footer_crc, version and layout, then the CRCs and contents of the index,
   * bloom and properties blocks (read in one positional read and kept pinned). file_crc is left to verify().
   */
  static async open(fs: FileSystem, path: string, opts: SSTableReaderOptions = {}): Promise<SSTableReader> {
    const fd = await fs.open(path, 'r');
    try {
      const corrupt = (offset: number, what: string, cause?: unknown): SSTableCorruptionError =>
        new SSTableCorruptionError(path, offset, what, cause);
      const { size } = await fs.stat(path);
      if (size < FOOTER_SIZE) throw corrupt(0, `file of ${size} bytes is shorter than the 64-byte footer`);
      const footerAt = size - FOOTER_SIZE;
      const footerBuf = await readExactly(fs, fd, footerAt, FOOTER_SIZE);
      if (!footerBuf) throw corrupt(footerAt, 'short read of the footer');
      let footer: Footer;
      try {
        footer = decodeFooter(footerBuf, size);
      } catch (err) {
        throw corrupt(footerAt + ((err as SSTableFormatError).at ?? 0), (err as Error).message, err);
      }
      const meta = await readExactly(fs, fd, footer.indexOffset, footerAt - footer.indexOffset);
      if (!meta) throw corrupt(footer.indexOffset, 'short read of the index, bloom and properties blocks');
      const block = (offset: number, length: number, kind: BlockKind): Buffer => {
        const start = offset - footer.indexOffset;
        try {
          return openBlock(meta.subarray(start, start + length), kind);
        } catch (err) {
          throw corrupt(offset + (err as SSTableFormatError).at, (err as Error).message, err);
        }
      };
      const parse = <T>(offset: number, fn: () => T): T => {
        try {
          return fn();
        } catch (err) {
          if (err instanceof SSTableFormatError) throw corrupt(offset + err.at, err.message, err);
          throw err;
        }
      };
      const indexPayload = block(footer.indexOffset, footer.indexLength, BLOCK_INDEX);
      const index = parse(footer.indexOffset, () => IndexBlock.parse(indexPayload, footer.indexOffset));
      if (index.count !== footer.dataBlocks) {
        throw corrupt(footerAt + 40, `footer says ${footer.dataBlocks} data blocks, the index lists ${index.count}`);
      }
      const bloomPayload = block(footer.bloomOffset, footer.bloomLength, BLOCK_BLOOM);
      const bloom = parse(footer.bloomOffset, () => decodeBloomPayload(bloomPayload));
      const propsPayload = block(footer.propsOffset, footer.propsLength, BLOCK_PROPERTIES);
      const properties = parse(footer.propsOffset, () => decodePropertiesPayload(propsPayload));
      if (properties.data_blocks !== index.count || properties.keys !== bloom.nKeys || properties.data_bytes !== footer.indexOffset) {
        throw corrupt(footer.propsOffset, 'properties disagree with the index or bloom block');
      }
      const fileNumber = opts.fileNumber ?? parseSstFileName(basename(path)) ?? -1;
      return new SSTableReader(fs, fd, path, fileNumber, size, footer, index, bloom, properties, opts.blockCache);
    } catch (err) {
      await fs.close(fd).catch(() => undefined);
      throw err;
    }
  }

  /** Bytes pinned while open (index + bloom + properties). */
  get pinnedBytes(): number {
    return this.size - FOOTER_SIZE - this.footer.indexOffset;
  }

  /** Bloom check only: false = certainly absent. */
  mayContain(ckey: Uint8Array): boolean {
    return this.bloom.mayContain(ckey);
  }

  /** Bloom check, then lookup(). */
  async get(ckey: Buffer): Promise<SSTableEntry | undefined> {
    if (!this.bloom.mayContain(ckey)) return undefined;
    return this.lookup(ckey);
  }

  /**
   * The entry for `ckey` without the bloom check (callers that count bloom outcomes call mayContain first): from
   * the block cache when its block is there, else read from disk (lookupUncached). The entry's `ckey` is the
   * caller's buffer (the bytes are equal; nothing is copied).
   */
  lookup(ckey: Buffer): Promise<SSTableEntry | undefined> {
    let found: SSTableEntry | undefined | BlockMiss;
    try {
      found = this.lookupCached(ckey);
    } catch (err) {
      return Promise.reject(err);
    }
    return found === BLOCK_MISS ? this.lookupUncached(ckey) : Promise.resolve(found);
  }

  /**
   * Synchronous lookup (no bloom check) answered from the block cache: the entry, undefined when the table
   * certainly lacks the key, or BLOCK_MISS when the block that would hold it is not cached (one cache miss is
   * counted; go on with lookupUncached). The block is binary-searched in place over its entry offsets and only the
   * matching entry's set and write ids are decoded (§7). Throws SSTableCorruptionError for a malformed entry.
   * Blocks get into the cache only through readDataBlock/lookupUncached, after their CRC was verified.
   */
  lookupCached(ckey: Buffer): SSTableEntry | undefined | BlockMiss {
    this.#assertOpen();
    const b = this.index.findBlock(ckey);
    if (b >= this.index.count) return undefined;
    const block = this.fileNumber >= 0 ? this.#cache?.get(this.fileNumber, this.index.offsets[b]!) : undefined;
    if (!block) return BLOCK_MISS;
    return this.#findIn(block, b, ckey);
  }

  /**
   * lookup() that skips the cache probe, for a caller whose lookupCached just answered BLOCK_MISS (so the miss is
   * counted once): reads and verifies the block (sharing a read already in flight), caches it, searches it.
   */
  async lookupUncached(ckey: Buffer): Promise<SSTableEntry | undefined> {
    this.#assertOpen();
    const b = this.index.findBlock(ckey);
    if (b >= this.index.count) return undefined;
    return this.#findIn(await this.#loadDataBlock(b), b, ckey);
  }

  #findIn(block: DataBlock, b: number, ckey: Buffer): SSTableEntry | undefined {
    const i = block.find(ckey);
    if (i < 0) return undefined;
    try {
      return decodeEntryAs(block, i, ckey);
    } catch (err) {
      throw this.#entryCorruption(err, block, b, i);
    }
  }

  /**
   * Data block `b`, CRC-verified and parsed (from the block cache when there is one). Also checks that its last key
   * is the index's and that its first key follows the previous block's last key.
   */
  async readDataBlock(b: number): Promise<DataBlock> {
    this.#assertOpen();
    const offset = this.index.offsets[b]!;
    const cached = this.fileNumber >= 0 ? this.#cache?.get(this.fileNumber, offset) : undefined;
    if (cached) return cached;
    return this.#loadDataBlock(b);
  }

  /**
   * Reads block `b` from disk (or joins the read of it already in flight), verifies it and caches it. While the
   * cache has spare room the same read also fetches uncached neighbours (readahead, READAHEAD_BYTES); each of them
   * is verified on its own and cached only if intact. A bad neighbour fails nobody: it is reported when it is read.
   */
  #loadDataBlock(b: number): Promise<DataBlock> {
    const inFlight = this.#loading.get(b);
    if (inFlight) return inFlight;
    const [lo, hi] = this.#readaheadRange(b);
    const all = this.#readRange(lo, hi, b);
    let mine: Promise<DataBlock> | undefined;
    for (let j = lo; j < hi; j++) {
      const p: Promise<DataBlock> = all
        .then((got) => {
          const x = got[j - lo]!;
          if (x instanceof Error) throw x;
          return x;
        })
        .finally(() => {
          if (this.#loading.get(j) === p) this.#loading.delete(j);
        });
      // Nobody may ever ask for a neighbour: its failure must not surface as an unhandled rejection.
      if (j !== b) p.catch(() => undefined);
      else mine = p;
      this.#loading.set(j, p);
    }
    return mine!;
  }

  /** Blocks [lo, hi) ∋ b to read in one go: b plus neighbours neither cached nor in flight, within the spare room. */
  #readaheadRange(b: number): [number, number] {
    const cache = this.#cache;
    const spare = cache?.spareBytes;
    if (!cache?.has || spare === undefined || this.fileNumber < 0) return [b, b + 1];
    const { offsets, lengths, count } = this.index;
    let budget = Math.min(READAHEAD_BYTES, spare) - lengths[b]!;
    const free = (j: number): boolean => lengths[j]! <= budget && !this.#loading.has(j) && !cache.has!(this.fileNumber, offsets[j]!);
    let hi = b + 1;
    while (hi < count && free(hi)) budget -= lengths[hi++]!;
    let lo = b;
    while (lo > 0 && free(lo - 1)) budget -= lengths[--lo]!;
    return [lo, hi];
  }

  /**
   * One positional read of blocks [lo, hi) ∋ b; per block its verified DataBlock or its SSTableCorruptionError.
   * Block b is cached as any block read is; a neighbour only while the cache still has room for it, so readahead
   * never evicts. Each block is copied out of the shared read buffer: a cached block pins exactly its own bytes
   * (the cache's weight stays the memory it holds).
   */
  async #readRange(lo: number, hi: number, b: number): Promise<Array<DataBlock | Error>> {
    const { offsets, lengths } = this.index;
    const start = offsets[lo]!;
    const end = offsets[hi - 1]! + lengths[hi - 1]!;
    this.#assertOpen();
    const raw = await readExactly(this.#fs, this.#fd, start, end - start);
    const out: Array<DataBlock | Error> = [];
    for (let j = lo; j < hi; j++) {
      const offset = offsets[j]!;
      if (!raw) {
        out.push(new SSTableCorruptionError(this.path, offset, `short read of data block ${j}`));
        continue;
      }
      let own: Buffer;
      if (lo + 1 === hi) own = raw;
      else {
        own = Buffer.allocUnsafeSlow(lengths[j]!);
        raw.copy(own, 0, offset - start, offset - start + lengths[j]!);
      }
      try {
        out.push(this.#verify(own, j));
      } catch (err) {
        if (!(err instanceof SSTableCorruptionError)) throw err;
        out.push(err);
      }
    }
    const cache = this.#cache;
    if (cache && this.fileNumber >= 0) {
      const mine = out[b - lo]!;
      if (!(mine instanceof Error)) cache.set(this.fileNumber, offsets[b]!, mine);
      for (let j = lo; j < hi; j++) {
        const x = out[j - lo]!;
        if (j !== b && !(x instanceof Error) && x.weight <= (cache.spareBytes ?? 0)) cache.set(this.fileNumber, offsets[j]!, x);
      }
    }
    return out;
  }

  /** Parses data block `b` as read through its handle: nothing is cached or used before these checks pass. */
  #verify(raw: Buffer, b: number): DataBlock {
    const offset = this.index.offsets[b]!;
    let block: DataBlock;
    try {
      block = DataBlock.parse(openBlock(raw, BLOCK_DATA));
    } catch (err) {
      if (err instanceof SSTableFormatError) throw new SSTableCorruptionError(this.path, offset + err.at, `data block ${b}: ${err.message}`, err);
      throw err;
    }
    const { payload: ip, keyStarts, keyEnds } = this.index;
    const offs = block.offs;
    const last = 3 * (block.count - 1);
    if (compareBytes(block.payload, offs[last + 1]!, offs[last + 2]!, ip, keyStarts[b]!, keyEnds[b]!) !== 0) {
      throw new SSTableCorruptionError(this.path, offset + block.entryStart(block.count - 1), `data block ${b}: last key differs from the index`);
    }
    if (b > 0 && compareBytes(block.payload, offs[1]!, offs[2]!, ip, keyStarts[b - 1]!, keyEnds[b - 1]!) <= 0) {
      throw new SSTableCorruptionError(this.path, offset, `data block ${b}: first key not after the previous block`);
    }
    return block;
  }

  /**
   * Every entry in ckey order, from the first ckey ≥ `from` when given. `fillCache: false` (compactions, scans) reads
   * blocks without inserting them into the block cache, so one pass over a table does not evict the hot blocks.
   */
  async *entries(from?: Buffer, opts: { readonly fillCache?: boolean } = {}): AsyncGenerator<SSTableScanEntry> {
    const fill = opts.fillCache ?? true;
    const { count, lengths } = this.index;
    let b = from ? this.index.findBlock(from) : 0;
    let first = true;
    while (b < count) {
      if (fill) {
        const block = await this.readDataBlock(b);
        let i = first && from ? block.lowerBound(from) : 0;
        first = false;
        for (; i < block.count; i++) yield this.#decode(block, b, i);
        b++;
        continue;
      }
      // A pass over the table (compaction, scan): consecutive blocks in one read of up to SCAN_CHUNK_BYTES, none
      // cached; each block is verified only when the consumer reaches it, so the synchronous work per step stays
      // one block.
      let hi = b + 1;
      let bytes = lengths[b]!;
      while (hi < count && bytes + lengths[hi]! <= SCAN_CHUNK_BYTES) bytes += lengths[hi++]!;
      const start = this.index.offsets[b]!;
      this.#assertOpen();
      const raw = await readExactly(this.#fs, this.#fd, start, bytes);
      if (!raw) throw new SSTableCorruptionError(this.path, start, `short read of data blocks ${b}..${hi - 1}`);
      for (; b < hi; b++) {
        const at = this.index.offsets[b]! - start;
        const block = this.#verify(raw.subarray(at, at + lengths[b]!), b);
        let i = first && from ? block.lowerBound(from) : 0;
        first = false;
        for (; i < block.count; i++) yield this.#decode(block, b, i);
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#fs.close(this.#fd);
  }

  #assertOpen(): void {
    if (this.#closed) throw new PairdbError('INTERNAL_ERROR', `sstable ${this.path} is closed`);
  }

  #decode(block: DataBlock, b: number, i: number): SSTableScanEntry {
    try {
      const e = decodeEntry(block, i);
      return { ckey: e.ckey, versions: e.versions, wids: e.wids, block: b, offset: this.index.offsets[b]! + block.entryStart(i) };
    } catch (err) {
      throw this.#entryCorruption(err, block, b, i);
    }
  }

  /** A decoding failure of entry i of block b as the table's DataLoss error (file offset of the problem). */
  #entryCorruption(err: unknown, block: DataBlock, b: number, i: number): unknown {
    if (!(err instanceof CorruptionError)) return err;
    const base = this.index.offsets[b]!;
    const at = base + (err instanceof SSTableFormatError ? err.at : block.entryStart(i));
    return new SSTableCorruptionError(this.path, at, `data block ${b} entry ${i}: ${err.message}`, err);
  }
}

/** Decodes entry i of a verified block: its non-empty set and its wids (exactly filling the entry). */
export function decodeEntry(block: DataBlock, i: number): SSTableEntry {
  return decodeEntryAs(block, i, Buffer.from(block.keyAt(i)));
}

/**
 * decodeEntry with the entry's ckey supplied by the caller (a point lookup already holds those bytes, so the copy
 * out of the block is skipped). Decodes only this entry's set and write ids.
 */
function decodeEntryAs(block: DataBlock, i: number, ckey: Buffer): SSTableEntry {
  const payload = block.payload;
  const offs = block.offs;
  const keyEnd = offs[3 * i + 2]!;
  const widsEnd = offs[3 * i + 3]!;
  const [slen, setStart] = readVarint(payload, keyEnd, widsEnd);
  const setEnd = setStart + slen;
  const versions = decodeVersionSet(payload, setStart, setEnd);
  if (versions.length === 0) throw new SSTableFormatError('empty version set', offs[3 * i]!);
  const [wids, end] = readWriteIds(payload, setEnd, widsEnd);
  if (end !== widsEnd) throw new SSTableFormatError('trailing bytes after a write-id list', end);
  return { ckey, versions, wids: wids.length === 0 ? NO_WRITE_IDS : wids };
}

// ---------------------------------------------------------------------------------------------------------------
// verify (§10)

export interface VerifyProblem {
  readonly offset: number;
  readonly what: string;
}

export interface VerifyReport {
  readonly file: string;
  readonly ok: boolean;
  readonly problems: VerifyProblem[];
  /** Keys read from intact data blocks. */
  readonly keys: number;
}

function isCanonicalSet(payload: Buffer, setStart: number, setEnd: number, versions: readonly Version[]): boolean {
  // Versions must be in strictly increasing encoding order (which also rules out duplicates) and Reduce-d.
  let off = setStart;
  let [, o] = readVarint(payload, off, setEnd);
  off = o;
  let prev: Buffer | undefined;
  for (let k = 0; k < versions.length; k++) {
    let len: number;
    [len, o] = readVarint(payload, off, setEnd);
    const enc = payload.subarray(o, o + len);
    if (!enc.equals(encodeVersion(versions[k]!))) return false;
    if (prev && Buffer.compare(prev, enc) >= 0) return false;
    prev = enc;
    off = o + len;
  }
  return versions.length <= 1 || reduce(versions).length === versions.length;
}

/**
 * Checks everything §10 lists for one file, reading it whole and going on past a bad data block to report every
 * problem: size and footer, file_crc, index/bloom/properties CRCs and contents, every data block's CRC and framing,
 * entry decoding, strict key order (within and across blocks, and against the index), canonical Reduce-d sets,
 * sorted write-id lists, properties (counts, min/max key and ts, block counts) and a bloom "maybe" for every key.
 */
export async function verifySSTable(fs: FileSystem, path: string): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const add = (offset: number, what: string): void => {
    problems.push({ offset, what });
  };
  const done = (keys: number): VerifyReport => ({ file: path, ok: problems.length === 0, problems, keys });
  let file: Buffer;
  try {
    file = await readWholeFile(fs, path);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw new PairdbError('FILE_NOT_FOUND', `no such file: ${path}`);
    throw err;
  }
  const size = file.length;
  if (size < FOOTER_SIZE) {
    add(0, `file of ${size} bytes is shorter than the 64-byte footer`);
    return done(0);
  }
  const footerAt = size - FOOTER_SIZE;
  let footer: Footer;
  try {
    footer = decodeFooter(file.subarray(footerAt), size);
  } catch (err) {
    add(footerAt + ((err as SSTableFormatError).at ?? 0), (err as Error).message);
    return done(0);
  }
  if (crc32Continue(file.subarray(0, footerAt), 0) !== footer.fileCrc) add(footerAt + 48, 'file_crc mismatch');

  const meta = <T>(offset: number, length: number, kind: BlockKind, fn: (p: Buffer) => T): T | undefined => {
    try {
      return fn(openBlock(file.subarray(offset, offset + length), kind));
    } catch (err) {
      if (!(err instanceof CorruptionError)) throw err;
      add(offset + ((err as SSTableFormatError).at ?? 0), (err as Error).message);
      return undefined;
    }
  };
  const index = meta(footer.indexOffset, footer.indexLength, BLOCK_INDEX, (p) => IndexBlock.parse(p, footer.indexOffset));
  const bloom = meta(footer.bloomOffset, footer.bloomLength, BLOCK_BLOOM, decodeBloomPayload);
  const props = meta(footer.propsOffset, footer.propsLength, BLOCK_PROPERTIES, decodePropertiesPayload);
  if (index && index.count !== footer.dataBlocks) add(footerAt + 40, `footer says ${footer.dataBlocks} data blocks, the index lists ${index.count}`);
  if (!index) return done(0);

  const stats = emptySetStats();
  let keys = 0;
  // Counts are compared with the properties only when every entry could be read.
  let complete = true;
  let firstKey: Buffer | undefined;
  let prevKey: Buffer | undefined;
  for (let b = 0; b < index.count; b++) {
    const offset = index.offsets[b]!;
    let block: DataBlock;
    try {
      block = DataBlock.parse(openBlock(file.subarray(offset, offset + index.lengths[b]!), BLOCK_DATA));
    } catch (err) {
      if (!(err instanceof CorruptionError)) throw err;
      add(offset + ((err as SSTableFormatError).at ?? 0), `data block ${b}: ${err.message}`);
      complete = false;
      prevKey = Buffer.from(index.lastKey(b));
      continue;
    }
    if (!block.keyAt(block.count - 1).equals(index.lastKey(b))) add(offset + block.entryStart(block.count - 1), `data block ${b}: last key differs from the index`);
    for (let i = 0; i < block.count; i++) {
      const at = offset + block.entryStart(i);
      const ckey = block.keyAt(i);
      if (prevKey && Buffer.compare(prevKey, ckey) >= 0) add(at, `data block ${b}: key not greater than the previous block's keys`);
      prevKey = Buffer.from(ckey);
      firstKey ??= prevKey;
      keys++;
      let entry: SSTableEntry;
      try {
        entry = decodeEntry(block, i);
      } catch (err) {
        if (!(err instanceof CorruptionError)) throw err;
        add(err instanceof SSTableFormatError ? offset + err.at : at, `data block ${b} entry ${i}: ${err.message}`);
        complete = false;
        continue;
      }
      const r = block.ranges(i);
      if (!isCanonicalSet(block.payload, r.setStart, r.setEnd, entry.versions)) add(at, `data block ${b} entry ${i}: version set not canonical (sorted, Reduce-d)`);
      if (!widsSorted(entry.wids)) add(at, `data block ${b} entry ${i}: write ids not sorted`);
      if (bloom && !bloom.mayContain(ckey)) add(at, `data block ${b} entry ${i}: bloom filter misses the key`);
      setStats(entry.versions, stats);
    }
  }

  if (bloom) {
    if (complete && bloom.nKeys !== keys) add(footer.bloomOffset, `bloom n_keys ${bloom.nKeys}, the table holds ${keys} keys`);
    if (props && bloom.mBits !== bloomMBits(bloom.nKeys, props.bloom_bits_per_key)) add(footer.bloomOffset, `bloom m_bits ${bloom.mBits} does not match bits_per_key ${props.bloom_bits_per_key}`);
    if (props && bloom.k !== props.bloom_k) add(footer.bloomOffset, `bloom k ${bloom.k}, properties say ${props.bloom_k}`);
  }
  if (props) {
    const at = footer.propsOffset;
    const expect = (field: string, actual: unknown, wanted: unknown): void => {
      if (actual !== wanted) add(at, `properties ${field} ${JSON.stringify(actual)}, the table has ${JSON.stringify(wanted)}`);
    };
    if (complete) {
      expect('keys', props.keys, keys);
      expect('versions', props.versions, stats.versions);
      expect('tombstones', props.tombstones, stats.tombstones);
      expect('min_ts', props.min_ts, stats.minTs);
      expect('max_ts', props.max_ts, stats.maxTs);
      expect('oldest_tombstone_ts', props.oldest_tombstone_ts, stats.tombstones > 0 ? stats.oldestTombstoneTs : null);
      expect('min_key', props.min_key, firstKey?.toString('hex'));
      expect('max_key', props.max_key, index.count > 0 ? index.lastKey(index.count - 1).toString('hex') : undefined);
    }
    expect('data_blocks', props.data_blocks, index.count);
    expect('data_bytes', props.data_bytes, footer.indexOffset);
    const n = parseSstFileName(basename(path));
    if (n !== undefined) expect('file', props.file, n);
  }
  // One problem per place: a flipped byte inside a block shows as that block's problem and as file_crc.
  problems.sort((a, b) => a.offset - b.offset);
  return done(keys);
}

function widsSorted(wids: readonly WriteIdEntry[]): boolean {
  for (let i = 1; i < wids.length; i++) if (Buffer.compare(wids[i - 1]!.writeId, wids[i]!.writeId) >= 0) return false;
  return true;
}
