import { describe, expect, it } from 'vitest';
import type { MigrationBody } from '../../../src/core/client/api-types.js';
import { EtaEstimator, barText, formatCount, formatEta, migrationProgressLine, repairProgressLine } from '../../../src/core/client/progress-text.js';

function mig(over: Partial<MigrationBody> & { keys?: [number, number, number] } = {}): MigrationBody {
  const [done, total, pct] = over.keys ?? [1_204_311, 1_970_002, 61.13];
  return {
    status: 'success', migration_id: 'mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e', type: 'node_addition', node_id: 's4', tenant_id: null,
    migration_status: 'in_progress', progress: { keys_migrated: done, total_keys: total, percentage: pct },
    started_at: '2025-03-01T09:31:02.114Z', estimated_completion: null, completed_at: null, error: null, ...over,
  };
}

describe('progress text', () => {
  it('renders the migration bar of cli-and-ops.md §2.5', () => {
    expect(migrationProgressLine(mig(), 180)).toBe('node_addition s4 [=====>    ] 61% 1,204,311/1,970,002 keys ETA 3m');
    expect(migrationProgressLine(mig({ type: 'replication_change', node_id: null, tenant_id: 'acme', keys: [0, 0, 0], migration_status: 'pending' }), undefined)).toBe(
      'replication_change acme [>         ] 0% 0/0 keys pending',
    );
    expect(migrationProgressLine(mig({ keys: [10, 10, 100], migration_status: 'completed' }), 0)).toBe('node_addition s4 [==========] 100% 10/10 keys completed');
  });

  it('formats counts, ETAs and bars', () => {
    expect(formatCount(1970002)).toBe('1,970,002');
    expect(formatEta(undefined)).toBe('ETA --');
    expect(formatEta(44.2)).toBe('ETA 45s');
    expect(formatEta(170)).toBe('ETA 3m');
    expect(formatEta(4800)).toBe('ETA 1h20m');
    expect(formatEta(7200)).toBe('ETA 2h');
    expect(barText(0)).toBe('[>         ]');
    expect(barText(0.5)).toBe('[====>     ]');
    expect(barText(0.1)).toBe('[>         ]');
    expect(barText(1)).toBe('[==========]');
    expect(barText(2, 4)).toBe('[====]');
  });

  it('renders the repair progress line, counting skipped ranges as handled', () => {
    expect(repairProgressLine({ ranges_total: 1350, ranges_done: 800, ranges_skipped: 12, leaves_mismatched: 9, keys_repaired: '214' }, 65)).toBe(
      'ranges 812/1350  mismatched 9  keys streamed 214  ETA 1m',
    );
  });

  it('estimates the time left from the rate since the first sample', () => {
    const eta = new EtaEstimator();
    expect(eta.secondsLeft(100)).toBeUndefined();
    eta.sample(0, 0);
    expect(eta.secondsLeft(100)).toBeUndefined();
    eta.sample(10_000, 20);
    expect(eta.secondsLeft(100)).toBe(40);
    eta.sample(20_000, 100);
    expect(eta.secondsLeft(100)).toBe(0);
    // A counter that goes down restarts the measurement.
    eta.sample(30_000, 10);
    expect(eta.secondsLeft(100)).toBeUndefined();
  });
});
