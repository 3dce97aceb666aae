import { describe, expect, it } from 'vitest';
import type { MigrationBody, MigrationStatusName } from '../../../src/core/client/api-types.js';
import { checkMigrationOutcome, watchMigration } from '../../../src/core/client/migration-watch.js';

function mig(status: MigrationStatusName, done: number): MigrationBody {
  return {
    status: 'success', migration_id: 'mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e', type: 'node_addition', node_id: 's4', tenant_id: null,
    migration_status: status, progress: { keys_migrated: done, total_keys: 100, percentage: done },
    started_at: null, estimated_completion: null, completed_at: null, error: status === 'failed' ? 'stream from s2 failed' : null,
  };
}

describe('watchMigration', () => {
  it('polls until a terminal status, reporting every poll and sleeping the interval between them', async () => {
    const seq = [mig('pending', 0), mig('in_progress', 40), mig('in_progress', 90), mig('completed', 100), mig('completed', 100)];
    const seen: number[] = [];
    const sleeps: number[] = [];
    const final = await watchMigration({
      fetch: async () => seq.shift()!,
      intervalMs: 2000,
      onPoll: (m) => seen.push(m.progress.keys_migrated),
      sleep: async (ms) => void sleeps.push(ms),
    });
    expect(final.migration_status).toBe('completed');
    expect(seen).toEqual([0, 40, 90, 100]);
    expect(sleeps).toEqual([2000, 2000, 2000]);
    expect(() => checkMigrationOutcome(final)).not.toThrow();
  });

  it('ends a failed or cancelled migration with an error of exit 1', async () => {
    const final = await watchMigration({ fetch: async () => mig('failed', 10), intervalMs: 1 });
    expect(() => checkMigrationOutcome(final)).toThrow(expect.objectContaining({ code: 'INTERNAL_ERROR', exitCode: 1 }));
    expect(() => checkMigrationOutcome(mig('cancelled', 10))).toThrow(expect.objectContaining({ exitCode: 1 }));
  });

  it('stops with INTERRUPTED (exit 130) once the signal is aborted, and passes fetch errors through', async () => {
    const ac = new AbortController();
    let polls = 0;
    await expect(
      watchMigration({
        fetch: async () => {
          if (++polls === 2) ac.abort();
          return mig('in_progress', polls);
        },
        intervalMs: 1,
        signal: ac.signal,
        sleep: async () => undefined,
      }),
    ).rejects.toMatchObject({ code: 'INTERRUPTED', exitCode: 130 });
    expect(polls).toBe(2);
    const notFound = Object.assign(new Error('nope'), { code: 'MIGRATION_NOT_FOUND' });
    await expect(watchMigration({ fetch: async () => Promise.reject(notFound), intervalMs: 1 })).rejects.toBe(notFound);
  });
});
