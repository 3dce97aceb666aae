import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PairdbError } from '../errors.js';
import { type Version, reduce } from '../model/version.js';
import { encodeVersionSet } from '../model/version-codec.js';
import { BLOOM_SEED_1, BLOOM_SEED_2, BloomFilter, DEFAULT_BLOOM_BITS_PER_KEY, bloomK, murmur3 } from './bloom.js';
import { type FileSystem, syncOrFail, writeFully } from './file-system.js';
import {
  BLOCK_BLOOM,
  BLOCK_DATA,
  BLOCK_INDEX,
  BLOCK_PROPERTIES,
  BLOCK_TRAILER_SIZE,
  type BlockKind,
  DEFAULT_BLOCK_BYTES,
  type IndexEntry,
  SST_FORMAT_VERSION,
  type TableProperties,
  type TableReason,
  crc32Continue,
  emptySetStats,
  encodeBloomPayload,
  encodeFooter,
  encodeIndexPayload,
  encodePropertiesPayload,
  entrySize,
  sealBlock,
  setStats,
  writeEntry,
} from './sstable-format.js';
import { type WriteIdEntry, MAX_WRITE_IDS, NO_WRITE_IDS, writeIdsSize, writeWriteIds } from './write-ids.js';

/**
 * Builds one SSTable (storage-engine.md §4) from entries given in strictly increasing ckey order, streaming it to
 * `<path>.tmp` through a 1 MiB buffer, then publishes it (§0): fsync, rename to `<path>`, fsync the directory.
 * Nothing may reference the table before finish() resolves. The bloom filter is sized from the real key count at
 * finish(), so the writer keeps two 32-bit hashes per key (8 B/key) until then.
 */

export interface SSTableWriterOptions {
  readonly fs: FileSystem;
  /** Final path, e.g. `<data_dir>/sst/00000000000000000007.sst`; the writer uses `<path>.tmp` meanwhile. */
  readonly path: string;
  readonly fileNumber: number;
  /** Level at write time (properties only; the manifest is authoritative). Default 0. */
  readonly level?: number;
  readonly reason?: TableReason;
  /** `block_bytes`, default 4096. */
  readonly blockBytes?: number;
  /** `bloom_bits_per_key`, default 10. */
  readonly bloomBitsPerKey?: number;
  /** `created_ms` of the properties block; default Date.now() at finish. */
  readonly createdMs?: number;
  /** `engine` of the properties block; default `pairdb/<package version>`. */
  readonly engine?: string;
  /** Output buffer size, default 1 MiB. */
  readonly bufferBytes?: number;
}

/** One table entry: a ckey, its non-empty Reduce-d version set and its write-id list (§13). */
export interface SSTableEntry {
  readonly ckey: Buffer;
  readonly versions: readonly Version[];
  readonly wids: readonly WriteIdEntry[];
}

/** What a published table is, for the manifest's TableMeta. */
export interface SSTableInfo {
  readonly path: string;
  readonly fileNumber: number;
  readonly size: number;
  readonly properties: TableProperties;
}

const DEFAULT_BUFFER_BYTES = 1024 * 1024;

let engineVersion: string | undefined;

/** `pairdb/<version>` from package.json (three levels up from both src/core/engine and dist/core/engine). */
export function engineName(): string {
  if (engineVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
      engineVersion = `pairdb/${pkg.version ?? 'unknown'}`;
    } catch {
      engineVersion = 'pairdb/unknown';
    }
  }
  return engineVersion;
}

function invalid(message: string): PairdbError {
  return new PairdbError('INVALID_REQUEST', `sstable writer: ${message}`);
}

export class SSTableWriter {
  readonly path: string;
  readonly tmpPath: string;
  readonly fileNumber: number;
  readonly #fs: FileSystem;
  readonly #fd: number;
  readonly #level: number;
  readonly #reason: TableReason;
  readonly #blockBytes: number;
  readonly #bitsPerKey: number;
  readonly #createdMs: number | undefined;
  readonly #engine: string;

  // Output buffer and file position.
  readonly #out: Buffer;
  #outLen = 0;
  #filePos = 0;
  #fileCrc = 0;

  // The data block being built (payload, then room for its trailer).
  #block: Buffer;
  #blockLen = 0;
  #lastKey: Buffer | undefined;
  #firstKey: Buffer | undefined;
  readonly #index: IndexEntry[] = [];

  // Two murmur3 hashes per key, for the bloom filter built at finish().
  #hashes = new Uint32Array(2048);
  #keys = 0;
  readonly #stats = emptySetStats();
  #state: 'open' | 'finished' | 'aborted' | 'failed' = 'open';

  private constructor(opts: SSTableWriterOptions, fd: number) {
    this.#fs = opts.fs;
    this.path = opts.path;
    this.tmpPath = `${opts.path}.tmp`;
    this.fileNumber = opts.fileNumber;
    this.#fd = fd;
    this.#level = opts.level ?? 0;
    this.#reason = opts.reason ?? 'flush';
    this.#blockBytes = opts.blockBytes ?? DEFAULT_BLOCK_BYTES;
    this.#bitsPerKey = opts.bloomBitsPerKey ?? DEFAULT_BLOOM_BITS_PER_KEY;
    this.#createdMs = opts.createdMs;
    this.#engine = opts.engine ?? engineName();
    this.#out = Buffer.allocUnsafe(opts.bufferBytes ?? DEFAULT_BUFFER_BYTES);
    this.#block = Buffer.allocUnsafe(this.#blockBytes + BLOCK_TRAILER_SIZE);
  }

  /** Creates `<path>.tmp` (replacing a leftover one: temp files are never referenced, §5 step 4). */
  static async create(opts: SSTableWriterOptions): Promise<SSTableWriter> {
    if (!Number.isSafeInteger(opts.fileNumber) || opts.fileNumber < 0) throw invalid('bad file number');
    const fd = await opts.fs.open(`${opts.path}.tmp`, 'w');
    return new SSTableWriter(opts, fd);
  }

  get keys(): number {
    return this.#keys;
  }

  /** Bytes written so far, buffered included (compaction splits outputs on it). */
  get bytesWritten(): number {
    return this.#filePos + this.#outLen + this.#blockLen;
  }

  /**
   * Appends one entry. `ckey` must be greater than the previous one; `versions` must be non-empty and Reduce-d;
   * `wids` sorted by write id (≤ 32). Violations are INVALID_REQUEST and leave the table unchanged.
   */
  async add(ckey: Buffer, versions: readonly Version[], wids: readonly WriteIdEntry[] = NO_WRITE_IDS): Promise<void> {
    if (this.#state !== 'open') throw new PairdbError('INTERNAL_ERROR', `sstable writer is ${this.#state}`);
    if (ckey.length === 0) throw invalid('empty ckey');
    if (this.#lastKey && Buffer.compare(this.#lastKey, ckey) >= 0) throw invalid('ckeys not in strictly increasing order');
    if (versions.length === 0) throw invalid('empty version set');
    if (versions.length > 1 && reduce(versions).length !== versions.length) throw invalid('version set is not Reduce-d');
    if (wids.length > MAX_WRITE_IDS) throw invalid('more than 32 write ids');
    for (let i = 0; i < wids.length; i++) {
      if (wids[i]!.writeId.length === 0) throw invalid('empty write id');
      if (i > 0 && Buffer.compare(wids[i - 1]!.writeId, wids[i]!.writeId) >= 0) throw invalid('write ids not sorted');
    }
    const set = encodeVersionSet(versions);
    const widsBuf = Buffer.allocUnsafe(writeIdsSize(wids));
    writeWriteIds(widsBuf, 0, wids);
    const size = entrySize(ckey.length, set.length, widsBuf.length);

    if (this.#blockLen > 0 && this.#blockLen + size > this.#blockBytes) {
      try {
        await this.#closeBlock();
      } catch (err) {
        // An I/O error leaves a partial temp file: the writer is unusable, the temp file goes.
        this.#state = 'failed';
        await this.#fs.close(this.#fd).catch(() => undefined);
        await this.#fs.unlink(this.tmpPath).catch(() => undefined);
        throw err;
      }
    }
    if (this.#blockLen + size + BLOCK_TRAILER_SIZE > this.#block.length) {
      // Only an empty block gets here (a big entry alone): grow, and shrink back after it.
      this.#block = Buffer.allocUnsafe(size + BLOCK_TRAILER_SIZE);
    }
    this.#blockLen = writeEntry(this.#block, this.#blockLen, ckey, set, widsBuf);

    const key = Buffer.from(ckey);
    this.#lastKey = key;
    this.#firstKey ??= key;
    if (2 * this.#keys + 2 > this.#hashes.length) {
      const grown = new Uint32Array(this.#hashes.length * 2);
      grown.set(this.#hashes);
      this.#hashes = grown;
    }
    this.#hashes[2 * this.#keys] = murmur3(ckey, BLOOM_SEED_1);
    this.#hashes[2 * this.#keys + 1] = murmur3(ckey, BLOOM_SEED_2);
    this.#keys++;
    setStats(versions, this.#stats);
  }

  /**
   * Writes index, bloom, properties and footer, then publishes the table. An empty table is never written
   * (INVALID_REQUEST, the temp file removed). On an I/O error the temp file is removed and the error rethrown.
   */
  async finish(): Promise<SSTableInfo> {
    if (this.#state !== 'open') throw new PairdbError('INTERNAL_ERROR', `sstable writer is ${this.#state}`);
    if (this.#keys === 0) {
      await this.abort();
      throw invalid('empty tables are never written');
    }
    try {
      await this.#closeBlock();
      const dataBytes = this.#filePos + this.#outLen;

      const indexOffset = dataBytes;
      const indexLength = await this.#writeBlock(encodeIndexPayload(this.#index), BLOCK_INDEX);

      const bloom = BloomFilter.forKeys(this.#keys, this.#bitsPerKey);
      for (let i = 0; i < this.#keys; i++) bloom.addHashes(this.#hashes[2 * i]!, this.#hashes[2 * i + 1]!);
      const bloomOffset = indexOffset + indexLength;
      const bloomLength = await this.#writeBlock(encodeBloomPayload(bloom), BLOCK_BLOOM);

      const s = this.#stats;
      const properties: TableProperties = {
        format: SST_FORMAT_VERSION,
        file: this.fileNumber,
        level: this.#level,
        created_ms: this.#createdMs ?? Date.now(),
        reason: this.#reason,
        keys: this.#keys,
        versions: s.versions,
        tombstones: s.tombstones,
        min_key: this.#firstKey!.toString('hex'),
        max_key: this.#lastKey!.toString('hex'),
        min_ts: s.minTs,
        max_ts: s.maxTs,
        oldest_tombstone_ts: s.tombstones > 0 ? s.oldestTombstoneTs : null,
        data_blocks: this.#index.length,
        data_bytes: dataBytes,
        bloom_bits_per_key: this.#bitsPerKey,
        bloom_k: bloomK(this.#bitsPerKey),
        engine: this.#engine,
      };
      const propsOffset = bloomOffset + bloomLength;
      const propsLength = await this.#writeBlock(encodePropertiesPayload(properties), BLOCK_PROPERTIES);

      await this.#flushOut();
      const footer = encodeFooter({
        indexOffset,
        indexLength,
        bloomOffset,
        bloomLength,
        propsOffset,
        propsLength,
        dataBlocks: this.#index.length,
        fileCrc: this.#fileCrc,
      });
      await this.#append(footer, false);
      await this.#flushOut();
      const size = this.#filePos;

      await syncOrFail(`fsync of ${this.tmpPath}`, () => this.#fs.fsync(this.#fd));
      await this.#fs.close(this.#fd);
      this.#state = 'finished';
      await this.#fs.rename(this.tmpPath, this.path);
      await syncOrFail(`fsync of directory ${dirname(this.path)}`, () => this.#fs.fsyncDir(dirname(this.path)));
      return { path: this.path, fileNumber: this.fileNumber, size, properties };
    } catch (err) {
      if (this.#state === 'open') {
        this.#state = 'failed';
        await this.#fs.close(this.#fd).catch(() => undefined);
        await this.#fs.unlink(this.tmpPath).catch(() => undefined);
      } else if (this.#state === 'finished') {
        // The rename or the directory fsync failed: the caller sees no table, so neither name may stay behind.
        this.#state = 'failed';
        await this.#fs.unlink(this.tmpPath).catch(() => undefined);
        await this.#fs.unlink(this.path).catch(() => undefined);
      }
      throw err;
    }
  }

  /** Gives up: closes and deletes the temp file (best effort; startup deletes any leftover). */
  async abort(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'aborted';
    await this.#fs.close(this.#fd).catch(() => undefined);
    await this.#fs.unlink(this.tmpPath).catch(() => undefined);
  }

  async #closeBlock(): Promise<void> {
    if (this.#blockLen === 0) return;
    const offset = this.#filePos + this.#outLen;
    const end = sealBlock(this.#block, 0, this.#blockLen, BLOCK_DATA);
    this.#index.push({ lastKey: this.#lastKey!, offset, length: end });
    await this.#append(this.#block.subarray(0, end), true);
    this.#blockLen = 0;
    if (this.#block.length > this.#blockBytes + BLOCK_TRAILER_SIZE) this.#block = Buffer.allocUnsafe(this.#blockBytes + BLOCK_TRAILER_SIZE);
  }

  async #writeBlock(payload: Buffer, kind: BlockKind): Promise<number> {
    const block = Buffer.allocUnsafe(payload.length + BLOCK_TRAILER_SIZE);
    payload.copy(block, 0);
    const len = sealBlock(block, 0, payload.length, kind);
    await this.#append(block, true);
    return len;
  }

  /** Buffers `data` (copying it), writing the buffer out when full; `crc` adds it to file_crc. */
  async #append(data: Buffer, crc: boolean): Promise<void> {
    if (crc) this.#fileCrc = crc32Continue(data, this.#fileCrc);
    let off = 0;
    while (off < data.length) {
      if (this.#outLen === this.#out.length) await this.#flushOut();
      const n = Math.min(data.length - off, this.#out.length - this.#outLen);
      data.copy(this.#out, this.#outLen, off, off + n);
      this.#outLen += n;
      off += n;
    }
  }

  async #flushOut(): Promise<void> {
    if (this.#outLen === 0) return;
    await writeFully(this.#fs, this.#fd, this.#out, 0, this.#outLen, this.#filePos);
    this.#filePos += this.#outLen;
    this.#outLen = 0;
  }
}

/** Writes a whole table from `entries` (strictly increasing ckeys) and publishes it. */
export async function writeSSTable(opts: SSTableWriterOptions, entries: Iterable<SSTableEntry> | AsyncIterable<SSTableEntry>): Promise<SSTableInfo> {
  const w = await SSTableWriter.create(opts);
  try {
    for await (const e of entries) await w.add(e.ckey, e.versions, e.wids);
  } catch (err) {
    await w.abort();
    throw err;
  }
  return w.finish();
}
