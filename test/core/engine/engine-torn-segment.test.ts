import { readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ver } from './helpers.js';
import { engineHarness } from './engine-harness.js';

const harness = engineHarness('pairdb-torn-seg-');

/**
 * Regression (found by the power-loss test at a rare cut): the segment that log_start names, torn at creation (its
 * header never durable), is deleted by recovery. The log must start again at that number: a new number would leave
 * log_start pointing at a missing segment below a live one, and the NEXT open refused the directory as a lost
 * manifest edit (CORRUPT_FILE) although nothing was lost.
 */
describe('a log_start segment torn at creation', () => {
  it('is recreated under its own number, and every later open succeeds with the data intact', async () => {
    const e = await harness.open();
    await e.writeBlind('t', 'k', ver({ writer: 'w', clock: { c: 1 }, ht: Date.now() * 1000, value: '"v"' }), { purpose: 'STREAM' });
    await e.flush();
    const logStart = e.manifestState.logStart;
    await harness.close(e);
    const segDir = join(harness.dir, 'commitlog');
    const segments = readdirSync(segDir);
    // After a clean close only the log_start segment is left; make it look torn at creation.
    const name = segments.find((n) => n.includes(String(logStart).padStart(20, '0')));
    expect(name, `segments ${segments.join(',')} log_start ${logStart}`).toBeDefined();
    truncateSync(join(segDir, name!), 0);
    for (let i = 0; i < 3; i++) {
      const again = await harness.open();
      expect((await again.get('t', 'k')).length).toBe(1);
      expect(readdirSync(segDir).some((n) => n.includes(String(again.manifestState.logStart).padStart(20, '0')))).toBe(true);
      await harness.close(again);
    }
  });
});
