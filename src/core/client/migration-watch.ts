import { PairdbError } from '../errors.js';
import type { MigrationBody, MigrationStatusName } from './api-types.js';

/**
 * `migration status --watch` and every `--wait` (cli-and-ops.md §2.5): poll a migration until it is terminal.
 * Fetching, sleeping and reporting are injected, so the loop runs against a fake sequence of statuses in tests.
 */

export const TERMINAL_MIGRATION_STATUSES: ReadonlySet<MigrationStatusName> = new Set(['completed', 'failed', 'cancelled']);

export interface MigrationWatchOptions {
  readonly fetch: () => Promise<MigrationBody>;
  readonly intervalMs: number;
  /** Called with every status fetched, the terminal one included. */
  readonly onPoll?: (m: MigrationBody) => void;
  /** Ctrl-C: stops watching (the migration goes on) with INTERRUPTED. */
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function interrupted(): PairdbError {
  return new PairdbError('INTERRUPTED', 'stopped watching; the migration goes on', { hint: 'resume with `pairdb migration status <id> --watch`' });
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves with the terminal status. Fetch errors (e.g. MIGRATION_NOT_FOUND) end the watch with that error. */
export async function watchMigration(o: MigrationWatchOptions): Promise<MigrationBody> {
  const sleep = o.sleep ?? defaultSleep;
  for (;;) {
    if (o.signal?.aborted) throw interrupted();
    const m = await o.fetch();
    o.onPoll?.(m);
    if (TERMINAL_MIGRATION_STATUSES.has(m.migration_status)) return m;
    await sleep(o.intervalMs, o.signal);
  }
}

/** Exit rule of a finished migration: completed is success; failed or cancelled is an error (exit 1). */
export function checkMigrationOutcome(m: MigrationBody): void {
  if (m.migration_status === 'failed' || m.migration_status === 'cancelled') {
    throw new PairdbError('INTERNAL_ERROR', `migration ${m.migration_id} ${m.migration_status}${m.error ? `: ${m.error}` : ''}`);
  }
}
