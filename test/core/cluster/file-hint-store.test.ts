import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileHintStore, type NewHint } from '../../../src/core/cluster/file-hint-store.js';
import { encodeHintRecord, readHintRecord } from '../../../src/core/cluster/hint-format.js';
import { FaultFileSystem } from '../../../src/core/engine/fault-file-system.js';
import { encodeVersionSet } from '../../../src/core/model/version-codec.js';
import { ver } from '../engine/helpers.js';

/** The durable hint log (cluster.md §9, embedded store): group commit, delivery cursor, expiry, crash recovery. */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pairdb-hints-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const hint = (target: string, i: number): NewHint => ({
  targetNodeId: target,
  tenantId: 'acme',
  key: `k${i}`,
  versions: [ver({ writer: 'c1', ht: 1_700_000_000_000_000 + i, value: `"v${i}"` })],
});

describe('hint record format', () => {
  it('round-trips a hint and tells a torn tail from a damaged record', () => {
    const h = { hintId: 7, tenantId: 'acme', key: 'ключ', versions: [ver({ value: '"x"' })], createdAtMs: 10, expiresAtMs: 20 };
    const rec = encodeHintRecord(h);
    const r = readHintRecord(rec, 0);
    expect(r.ok && r.hint.key).toBe('ключ');
    expect(r.ok && encodeVersionSet(r.hint.versions).equals(encodeVersionSet(h.versions))).toBe(true);
    expect(r.ok && [r.hint.hintId, r.hint.createdAtMs, r.hint.expiresAtMs]).toEqual([7, 10, 20]);
    for (let cut = 1; cut < rec.length; cut++) expect(readHintRecord(rec.subarray(0, cut), 0)).toMatchObject({ ok: false, problem: 'torn' });
    for (let i = 0; i < rec.length; i++) {
      const bad = Buffer.from(rec);
      bad[i] ^= 0x5a;
      const x = readHintRecord(bad, 0);
      // A flipped length can make the record look unfinished; anything else is damage — never a wrong hint.
      expect(x.ok, `flip at ${i}`).toBe(false);
    }
  });
});

describe('FileHintStore', () => {
  it('returns pending hints in id order per target, forgets delivered ones, and keeps everything across a reopen', async () => {
    let s = await FileHintStore.open({ dir });
    await s.append([hint('s1', 1), hint('s2', 2), hint('s1', 3)]);
    await Promise.all([s.append([hint('s1', 4)]), s.append([hint('s1', 5)])]);
    expect((await s.pending('s1', 100)).map((h) => h.key)).toEqual(['k1', 'k3', 'k4', 'k5']);
    expect((await s.pending('s1', 2)).map((h) => h.hintId)).toEqual([1, 2]);
    expect(s.counts().get('s1')).toBe(4);
    await s.delivered('s1', 2);
    expect((await s.pending('s1', 100)).map((h) => h.key)).toEqual(['k4', 'k5']);
    await s.close();
    s = await FileHintStore.open({ dir });
    expect((await s.pending('s1', 100)).map((h) => h.key)).toEqual(['k4', 'k5']);
    expect((await s.pending('s2', 100)).map((h) => h.key)).toEqual(['k2']);
    // Ids keep growing after a reopen (s1 had ids 1–4; 3 and 4 are pending).
    await s.append([hint('s1', 6)]);
    expect((await s.pending('s1', 100)).map((h) => h.hintId)).toEqual([3, 4, 5]);
    await s.close();
  });

  it('takes many concurrent first appends for a new target into one log', async () => {
    const s = await FileHintStore.open({ dir });
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.append([hint('fresh', i)])));
    expect((await s.pending('fresh', 100)).map((h) => h.key).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
    await s.close();
  });

  it('deletes fully delivered segments and expires hints past the window', async () => {
    let now = 1_000_000;
    // Segments smaller than one record: one hint per segment.
    const s = await FileHintStore.open({ dir, segmentBytes: 50, windowMs: 60_000, now: () => now });
    for (let i = 1; i <= 12; i++) await s.append([hint('s1', i)]);
    const segs = () => readdirSync(join(dir, 's1')).filter((n) => n.endsWith('.log')).length;
    expect(segs()).toBe(12);
    await s.delivered('s1', 6);
    expect(segs()).toBe(6);
    expect((await s.pending('s1', 100)).map((h) => h.key)).toEqual(['k7', 'k8', 'k9', 'k10', 'k11', 'k12']);
    now += 60_001;
    expect(await s.pending('s1', 100)).toEqual([]);
    expect((await s.expire()).get('s1')).toBeGreaterThan(0);
    expect(segs()).toBe(1); // the active segment stays until a newer one exists
    await s.close();
  });

  it('cuts a torn tail of the newest segment at open, and refuses a damaged record before valid ones', async () => {
    let s = await FileHintStore.open({ dir });
    await s.append([hint('s1', 1), hint('s1', 2)]);
    await s.close();
    const seg = join(dir, 's1', '00000001.log');
    const whole = readFileSync(seg);
    appendFileSync(seg, encodeHintRecord({ hintId: 3, tenantId: 'acme', key: 'k3', versions: [ver({})], createdAtMs: 1, expiresAtMs: 2 }).subarray(0, 11));
    s = await FileHintStore.open({ dir, now: () => 0 });
    expect((await s.pending('s1', 100)).map((h) => h.key)).toEqual(['k1', 'k2']);
    await s.close();
    expect(readFileSync(seg).length).toBe(whole.length);
    // A byte flipped inside the first record, followed by a valid one: corruption, not a tail.
    const bad = Buffer.from(whole);
    bad[12] ^= 0xff;
    writeFileSync(seg, bad);
    await expect(FileHintStore.open({ dir })).rejects.toMatchObject({ code: 'CORRUPT_FILE' });
  });

  it('resolves append only once the hints are fsynced (FaultFS), and a failed fdatasync rejects them', async () => {
    const fs = new FaultFileSystem();
    const s = await FileHintStore.open({ dir, fs });
    const release = fs.holdFdatasync();
    let done = false;
    const p = s.append([hint('s1', 1)]).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(done).toBe(false);
    release();
    await p;
    expect(fs.durable(join(dir, 's1', '00000001.log'))?.length).toBeGreaterThan(0);
    fs.failAt('fdatasync', 1, 'EIO');
    await expect(s.append([hint('s1', 2)])).rejects.toThrow(/fdatasync/);
    // Later hints go to a fresh segment and are durable again.
    await s.append([hint('s1', 3)]);
    expect((await s.pending('s1', 100)).map((h) => h.key)).toContain('k3');
    await s.close();
  });
});
