import type { MigrationBody } from './api-types.js';

/**
 * The progress lines of `pairdb repair` and `pairdb migration status --watch` (cli-and-ops.md §2.5), pure so the exact
 * text is testable: `node_addition s4 [=====>    ] 61% 1,204,311/1,970,002 keys ETA 3m` and
 * `ranges 812/1350  mismatched 9  keys streamed 214  ETA 1m`.
 */

const COUNT = new Intl.NumberFormat('en-US');

/** 1204311 → `1,204,311`. */
export function formatCount(n: number): string {
  return COUNT.format(n);
}

/** Seconds left as `ETA 45s`, `ETA 3m`, `ETA 1h20m`; unknown (no rate yet) → `ETA --`. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return 'ETA --';
  const s = Math.ceil(seconds);
  if (s < 60) return `ETA ${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `ETA ${m}m`;
  const h = Math.floor(m / 60);
  return `ETA ${h}h${m % 60 > 0 ? `${m % 60}m` : ''}`;
}

/** `[=====>    ]` for a fraction 0..1 (0.61 here): `width` cells between the brackets, the arrow is the last filled one. */
export function barText(fraction: number, width = 10): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.floor(f * width);
  if (filled >= width) return `[${'='.repeat(width)}]`;
  if (filled === 0) return `[>${' '.repeat(width - 1)}]`;
  return `[${'='.repeat(filled - 1)}>${' '.repeat(width - filled)}]`;
}

/**
 * Time left from the rate seen so far: samples of (time, amount done) in time order; the rate is measured from the
 * first sample, so a slow start does not stick. Undefined until the amount has grown.
 */
export class EtaEstimator {
  #first: { t: number; done: number } | undefined;
  #last: { t: number; done: number } | undefined;

  sample(tMs: number, done: number): void {
    // A counter going down (a restarted task) starts the measurement over.
    if (!this.#first || done < (this.#last?.done ?? 0)) this.#first = { t: tMs, done };
    this.#last = { t: tMs, done };
  }

  /** Seconds until `total` at the measured rate. */
  secondsLeft(total: number): number | undefined {
    const a = this.#first;
    const b = this.#last;
    if (!a || !b || b.t <= a.t || b.done <= a.done) return undefined;
    if (b.done >= total) return 0;
    const perMs = (b.done - a.done) / (b.t - a.t);
    return (total - b.done) / perMs / 1000;
  }
}

/** The migration bar: `node_addition s4 [=====>    ] 61% 1,204,311/1,970,002 keys ETA 3m` (percentage as the API's). */
export function migrationProgressLine(m: MigrationBody, etaSeconds: number | undefined): string {
  const target = m.node_id ?? m.tenant_id ?? '';
  const { keys_migrated: done, total_keys: total, percentage } = m.progress;
  const eta = m.migration_status === 'in_progress' ? ` ${formatEta(etaSeconds)}` : m.migration_status === 'pending' ? ' pending' : ` ${m.migration_status}`;
  return `${m.type} ${target} ${barText(percentage / 100)} ${Math.floor(percentage)}% ${formatCount(done)}/${formatCount(total)} keys${eta}`;
}

/** The counters of a repair run the progress line shows. */
export interface RepairCounters {
  readonly ranges_total: number;
  readonly ranges_done: number;
  readonly ranges_skipped: number;
  readonly leaves_mismatched: number | string;
  readonly keys_repaired: number | string;
}

/** `ranges 812/1350  mismatched 9  keys streamed 214  ETA 1m` (ranges = done + skipped). */
export function repairProgressLine(p: RepairCounters, etaSeconds: number | undefined): string {
  const ranges = p.ranges_done + p.ranges_skipped;
  return `ranges ${ranges}/${p.ranges_total}  mismatched ${p.leaves_mismatched}  keys streamed ${p.keys_repaired}  ${formatEta(etaSeconds)}`;
}
