import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECORD_EDIT, editToJson, encodeManifestRecord, parseCurrentFile, manifestFileName } from '../../../src/core/engine/manifest-format.js';
import { engineHarness } from './engine-harness.js';

const harness = engineHarness('pairdb-fence-');

function liveManifestPath(dir: string): string {
  const n = parseCurrentFile(readFileSync(join(dir, 'CURRENT')));
  return join(dir, manifestFileName(n!));
}

describe('topology fence in the engine (storage-engine.md §13)', () => {
  it('starts at 0, raises durably, and is loaded again at open', async () => {
    const e = await harness.open();
    expect(e.fenceEpoch).toBe(0);
    await expect(e.raiseFence(7)).resolves.toBe(7);
    expect(e.fenceEpoch).toBe(7);
    // The EDIT of reason fence is in the live manifest before raiseFence resolved.
    const text = readFileSync(liveManifestPath(harness.dir)).toString('latin1');
    expect(text).toContain('"reason":"fence"');
    expect(text).toContain('"fence_epoch":7');
    await harness.close(e);
    const again = await harness.open();
    expect(again.fenceEpoch).toBe(7);
    // Open rolls the manifest over: the fence now sits in the new SNAPSHOT and survives another reopen.
    await harness.close(again);
    const third = await harness.open();
    expect(third.fenceEpoch).toBe(7);
  });

  it('never lowers the fence; a lower or equal raise writes nothing; concurrent raises end at the highest', async () => {
    const e = await harness.open();
    await e.raiseFence(5);
    const size = statSync(liveManifestPath(harness.dir)).size;
    await expect(e.raiseFence(3)).resolves.toBe(5);
    await expect(e.raiseFence(5)).resolves.toBe(5);
    expect(statSync(liveManifestPath(harness.dir)).size).toBe(size);
    const results = await Promise.all([e.raiseFence(9), e.raiseFence(8), e.raiseFence(12), e.raiseFence(10)]);
    expect(results[2]).toBe(12);
    expect(e.fenceEpoch).toBe(12);
  });

  it('refuses a fence that is not a safe non-negative integer', async () => {
    const e = await harness.open();
    await expect(e.raiseFence(-1)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(e.raiseFence(1.5)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(e.fenceEpoch).toBe(0);
  });

  it('a torn fence EDIT at the tail is dropped at open: the fence stays at the last committed value', async () => {
    const e = await harness.open();
    await e.raiseFence(4);
    await harness.close(e);
    const path = liveManifestPath(harness.dir);
    const rec = encodeManifestRecord(RECORD_EDIT, editToJson({ reason: 'fence', fenceEpoch: 99 }));
    // A crash in the middle of the append: only part of the record reached the file.
    appendFileSync(path, rec.subarray(0, rec.length - 5));
    const again = await harness.open();
    expect(again.fenceEpoch).toBe(4);
    await expect(again.raiseFence(6)).resolves.toBe(6);
    await harness.close(again);
    expect((await harness.open()).fenceEpoch).toBe(6);
  });
});
