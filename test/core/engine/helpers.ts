import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clockFrom } from '../../../src/core/model/vector-clock.js';
import type { Version } from '../../../src/core/model/version.js';
import { encodeVersion } from '../../../src/core/model/version-codec.js';

/** Builds a version written by `writer` at hybrid time `ht` (µs-like counter), with optional extra clock entries. */
export function ver(opts: {
  writer?: string;
  ht?: number;
  clock?: Record<string, number>;
  value?: string | Buffer;
  tombstone?: boolean;
  lww?: boolean;
  writeId?: string | Buffer;
}): Version {
  const writer = opts.writer ?? 'c1';
  const ht = opts.ht ?? 1_700_000_000_000_000;
  const clock = clockFrom({ ...(opts.clock ?? {}), [writer]: ht });
  const tombstone = opts.tombstone ?? false;
  const value = tombstone ? Buffer.alloc(0) : Buffer.isBuffer(opts.value) ? opts.value : Buffer.from(opts.value ?? '"v"');
  const writeId = Buffer.isBuffer(opts.writeId) ? opts.writeId : Buffer.from(opts.writeId ?? '', 'utf8');
  return { clock, value, tombstone, lww: opts.lww ?? false, timestampMs: Math.floor(ht / 1000), writerId: writer, writeId };
}

/** Canonical encodings in hex, for order-insensitive set comparisons. */
export function encs(vs: readonly Version[]): string[] {
  return vs.map((v) => encodeVersion(v).toString('hex')).sort();
}

export function tempDir(prefix = 'pairdb-engine-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Resolves after the current I/O turn (lets pending fs callbacks run). */
export function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

export async function waitUntil(cond: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
