import { join } from 'node:path';
import { type Version, reduce } from '../../../src/core/model/version.js';
import type { FileSystem } from '../../../src/core/engine/file-system.js';
import { type SSTableEntry, type SSTableInfo, writeSSTable } from '../../../src/core/engine/sstable-writer.js';
import type { WriteIdEntry } from '../../../src/core/engine/write-ids.js';
import { ver } from './helpers.js';

export { prng } from '../../../src/core/prng.js';

export function ckey(tenant: string, key: string): Buffer {
  return Buffer.from(`${tenant}\0${key}`, 'utf8');
}

/** Random entries in strictly increasing ckey order; sets of 1-3 concurrent versions, some tombstones, some wids. */
export function randomEntries(rand: () => number, n: number, opts: { maxValue?: number } = {}): SSTableEntry[] {
  const maxValue = opts.maxValue ?? 200;
  const keys = new Set<string>();
  while (keys.size < n) {
    const tenant = ['acme', 'globex', 'initech'][Math.floor(rand() * 3)]!;
    keys.add(`${tenant}\0user:${Math.floor(rand() * n * 20)}`);
  }
  const sorted = [...keys].map((k) => Buffer.from(k)).sort(Buffer.compare);
  return sorted.map((k) => {
    const siblings = 1 + Math.floor(rand() * 3);
    const versions: Version[] = [];
    for (let s = 0; s < siblings; s++) {
      const tombstone = rand() < 0.15;
      const len = Math.floor(rand() * maxValue);
      const value = Buffer.alloc(len);
      for (let i = 0; i < len; i++) value[i] = 0x61 + Math.floor(rand() * 26);
      // Distinct writers with one clock entry each: concurrent, so Reduce keeps all of them.
      versions.push(ver({ writer: `c${s}`, ht: 1_700_000_000_000_000 + Math.floor(rand() * 1e9), value, tombstone, writeId: Buffer.from([s, 1, 2, 3]) }));
    }
    const wids: WriteIdEntry[] = [];
    const nw = rand() < 0.5 ? 0 : 1 + Math.floor(rand() * 3);
    for (let w = 0; w < nw; w++) wids.push({ writeId: Buffer.from([w + 1, Math.floor(rand() * 256)]), timestampMs: 1_700_000_000_000 + w });
    return { ckey: k, versions: versionsCanonical(versions), wids };
  });
}

export function versionsCanonical(vs: Version[]): Version[] {
  return reduce(vs);
}

export async function writeTable(
  fs: FileSystem,
  dir: string,
  n: number,
  entries: SSTableEntry[],
  extra: { blockBytes?: number; createdMs?: number; engine?: string; level?: number } = {},
): Promise<SSTableInfo> {
  return writeSSTable({ fs, path: join(dir, `${String(n).padStart(20, '0')}.sst`), fileNumber: n, createdMs: 1_700_000_000_000, engine: 'pairdb/test', ...extra }, entries);
}
