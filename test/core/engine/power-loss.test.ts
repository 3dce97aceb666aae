import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageEngine } from '../../../src/core/engine/engine.js';
import { FaultFileSystem } from '../../../src/core/engine/fault-file-system.js';
import { silentLogger } from '../../../src/core/observability/logger.js';
import { tempDir, ver } from './helpers.js';

/**
 * Power loss (storage-engine.md §11 item 5, commit-log part): while writers run, the disk is "lost" at a random
 * moment — each segment keeps only what its last completed fdatasync covered, plus a random prefix of the unsynced
 * tail. The copy must open, and every write acknowledged before the moment must be there.
 */

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('pairdb-powerloss-');
});
afterEach(() => tmp.cleanup());

/** What survives a power loss now: synchronous, so no write can slip in while it is taken. */
function crashImage(fs: FaultFileSystem, dataDir: string, to: string, rnd: () => number): void {
  const src = join(dataDir, 'commitlog');
  const dst = join(to, 'commitlog');
  mkdirSync(dst, { recursive: true });
  for (const name of readdirSync(src)) {
    const real = readFileSync(join(src, name));
    const durable = fs.durable(join(src, name)) ?? Buffer.alloc(0);
    const tail = real.subarray(durable.length);
    const kept = Math.floor(rnd() * (tail.length + 1) * (rnd() < 0.5 ? 1 : 0));
    writeFileSync(join(dst, name), Buffer.concat([durable, tail.subarray(0, kept)]));
  }
}

describe('StorageEngine power loss', () => {
  it('keeps every acknowledged write when the disk keeps only fsynced bytes (+ a random unsynced prefix)', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const rnd = seeded(seed);
      const dataDir = join(tmp.dir, `run-${seed}`);
      const image = join(tmp.dir, `image-${seed}`);
      const fs = new FaultFileSystem();
      // Small segments, so crashes also hit rotations.
      const engine = await StorageEngine.open({ dataDir, logger: silentLogger(), fs, segmentBytes: 1500 });
      const acked: string[] = [];
      let ackedAtCrash: string[] | undefined;
      const base = Date.now() * 1000;
      let n = 0;
      let firstAck!: () => void;
      const acking = new Promise<void>((r) => (firstAck = r));
      const writers = Array.from({ length: 8 }, async () => {
        while (!ackedAtCrash) {
          const i = n++;
          await engine.write('acme', `k${i}`, ver({ ht: base + i, value: `"v${i}"` }), { purpose: 'CLIENT' });
          acked.push(`k${i}`);
          firstAck();
        }
      });
      const crashAfterMs = 2 + Math.floor(rnd() * 30);
      // The crash moment is counted from the first ack, so a loaded machine cannot crash before anything is acked.
      await acking;
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          crashImage(fs, dataDir, image, rnd);
          ackedAtCrash = acked.slice();
          resolve();
        }, crashAfterMs),
      );
      await Promise.all(writers);
      await engine.close();

      const recovered = await StorageEngine.open({ dataDir: image, logger: silentLogger() });
      try {
        const missing: string[] = [];
        for (const k of ackedAtCrash!) if ((await recovered.get('acme', k)).length === 0) missing.push(k);
        expect({ seed, acked: ackedAtCrash!.length > 0, missing }).toEqual({ seed, acked: true, missing: [] });
        // Every recovered value is one that was written (no garbage from the torn tail).
        for (const e of recovered.entries()) expect(e.versions[0]!.value.toString()).toBe(`"v${e.key.slice(1)}"`);
      } finally {
        await recovered.close();
      }
    }
  });
});
