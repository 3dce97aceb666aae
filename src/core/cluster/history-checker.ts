/**
 * A checker over the recorded history of a chaos run (issue 4; cluster.md §16 invariants 2 and 3). Pure: it gets
 * the operations as the clients saw them (wall-clock start and end, what they wrote or read, how they ended) and
 * decides, per read, whether the answer is one a correct cluster may give.
 *
 * The rules use only real-time order, so they hold for keys one client owns and for keys several clients share.
 * A version v (the put that wrote it: P) is "older" than an acknowledged write W when P ended before W started:
 * W's read step then saw every replica quorum P reached, and through one coordinator W's clock is also later
 * than P's (its HLC never goes back), so under LWW W beats P on every replica even if P's outcome was unknown.
 * With several coordinators a merely-attempted P could win through clock skew (http-api.md §4.1), so the history
 * must come from one coordinator (the LocalCluster topology) for the `unknown` part of that argument.
 *
 * - A read started after W was acked must not return anything older than W (read-your-writes, invariant 3): a
 *   value older than W, or "not found" while some acked put is not possibly followed by a delete.
 * - A read returns only values some put wrote, not one answered `not_applied`, not one started after the read ended.
 * - The final reads (after convergence, at ALL) obey the same rule with "every write finished before they started";
 *   a violation there is an acknowledged write lost (invariant 2).
 */

export type HistoryOpKind = 'put' | 'get' | 'delete';

/** ok = acknowledged; fail = definitely not applied (`not_applied`, or a read that got no answer); unknown = may have happened. */
export type HistoryResult = 'ok' | 'fail' | 'unknown';

export interface HistoryOp {
  readonly client: string;
  readonly op: HistoryOpKind;
  readonly key: string;
  /** put: the value written (unique across the history); get: the value read, null = not found; delete: unused. */
  readonly value?: string | null;
  /** A delete answered KEY_NOT_FOUND (false): nothing was written, but the key was absent at that level then. */
  readonly found?: boolean;
  /** A delete answered KEY_NOT_FOUND on a retry after an attempt whose outcome was unknown: that attempt may have written. */
  readonly mayHaveWritten?: boolean;
  /** Wall-clock ms of the first attempt's start and the last attempt's end (retries included). */
  readonly start: number;
  readonly end: number;
  readonly result: HistoryResult;
  /** A read made after the run has ended and the replicas converged (at ALL). */
  readonly final?: boolean;
}

export type ViolationKind =
  /** A final read shows an acknowledged write gone (neither there nor superseded by a later write). */
  | 'lost-write'
  /** A read started after an acknowledged write ended returned something older. */
  | 'stale-read'
  /** A read returned a value no put wrote. */
  | 'phantom-read'
  /** A read returned the value of a put answered `not_applied`. */
  | 'not-applied-read'
  /** A read returned the value of a put that started only after the read had ended. */
  | 'future-read'
  /** A final read did not succeed, so the key's final state is unknown. */
  | 'final-read-failed';

export interface Violation {
  readonly kind: ViolationKind;
  readonly key: string;
  readonly read: HistoryOp;
  readonly detail: string;
  /** lost-write: how many acknowledged writes the final state is missing. */
  readonly lostWrites?: number;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface HistoryReport {
  /** Workload operations (final reads not included). */
  readonly ops: number;
  readonly ok: number;
  readonly failed: number;
  readonly unknown: number;
  /** ok ÷ ops × 100; `unknown` counts as not ok. */
  readonly okPercent: number;
  readonly finalReads: number;
  /** Acknowledged writes the final reads show lost (sum over lost-write violations). */
  readonly lostAckedWrites: number;
  readonly staleReads: number;
  readonly violations: readonly Violation[];
  readonly latency: Readonly<Record<HistoryOpKind, LatencySummary>>;
}

/** Acked writes that order later versions after them: puts and deletes that wrote a tombstone. */
function isAckedBarrier(op: HistoryOp): boolean {
  return op.result === 'ok' && (op.op === 'put' || (op.op === 'delete' && op.found !== false));
}

/** A delete that may have written a tombstone. */
function mayHaveDeleted(op: HistoryOp): boolean {
  return op.op === 'delete' && op.result !== 'fail' && (op.found !== false || op.mayHaveWritten === true);
}

/** Reads whose answer the checker judges: successful gets, and deletes answered "not found" (a quorum read too). */
function observation(op: HistoryOp): string | null | undefined {
  if (op.result !== 'ok') return undefined;
  if (op.op === 'get') return op.value ?? null;
  if (op.op === 'delete' && op.found === false) return null;
  return undefined;
}

function checkRead(read: HistoryOp, observed: string | null, writes: readonly HistoryOp[], putsByValue: ReadonlyMap<string, HistoryOp>): Violation[] {
  const older = read.final ? 'lost-write' : 'stale-read';
  const ackedBefore = writes.filter((w) => isAckedBarrier(w) && w.end < read.start);
  if (observed !== null) {
    const put = putsByValue.get(observed);
    if (!put) return [{ kind: 'phantom-read', key: read.key, read, detail: `read ${observed}, which no put of this key wrote` }];
    if (put.result === 'fail') return [{ kind: 'not-applied-read', key: read.key, read, detail: `read ${observed}, whose put was answered not_applied` }];
    if (put.start > read.end) return [{ kind: 'future-read', key: read.key, read, detail: `read ${observed}, whose put started after the read ended` }];
    const newer = ackedBefore.filter((w) => put.end < w.start);
    if (newer.length === 0) return [];
    const latest = newer.reduce((a, b) => (b.end > a.end ? b : a));
    return [
      {
        kind: older,
        key: read.key,
        read,
        detail: `read ${observed} (put ended ${put.end}) although ${describe(latest)} was acked at ${latest.end}, before the read started at ${read.start}`,
        lostWrites: read.final ? newer.length : undefined,
      },
    ];
  }
  // Not found: each acked put must be possibly followed by a tombstone that began before the read ended.
  const deletes = writes.filter((w) => mayHaveDeleted(w) && w.start < read.end);
  const unexplained = ackedBefore.filter((w) => w.op === 'put' && deletes.every((d) => d.end < w.start));
  if (unexplained.length === 0) return [];
  const latest = unexplained.reduce((a, b) => (b.end > a.end ? b : a));
  return [
    {
      kind: older,
      key: read.key,
      read,
      detail: `read "not found" although ${describe(latest)} was acked at ${latest.end} and no delete may follow it`,
      lostWrites: read.final ? unexplained.length : undefined,
    },
  ];
}

function describe(op: HistoryOp): string {
  return op.op === 'put' ? `put ${op.value} by ${op.client}` : `delete by ${op.client}`;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function latencySummary(ops: readonly HistoryOp[]): LatencySummary {
  const sorted = ops.map((o) => o.end - o.start).sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : 0,
  };
}

export function checkHistory(history: readonly HistoryOp[]): HistoryReport {
  const byKey = new Map<string, HistoryOp[]>();
  for (const op of history) {
    let list = byKey.get(op.key);
    if (!list) byKey.set(op.key, (list = []));
    list.push(op);
  }
  const violations: Violation[] = [];
  for (const ops of byKey.values()) {
    const writes = ops.filter((o) => o.op !== 'get' && !o.final);
    const putsByValue = new Map<string, HistoryOp>();
    for (const w of writes) if (w.op === 'put' && typeof w.value === 'string') putsByValue.set(w.value, w);
    for (const op of ops) {
      if (op.final && op.result !== 'ok') {
        violations.push({ kind: 'final-read-failed', key: op.key, read: op, detail: `final read ended ${op.result}` });
        continue;
      }
      const observed = observation(op);
      if (observed !== undefined) violations.push(...checkRead(op, observed, writes, putsByValue));
    }
  }
  const workload = history.filter((o) => !o.final);
  const ok = workload.filter((o) => o.result === 'ok').length;
  const failed = workload.filter((o) => o.result === 'fail').length;
  return {
    ops: workload.length,
    ok,
    failed,
    unknown: workload.length - ok - failed,
    okPercent: workload.length === 0 ? 100 : (ok / workload.length) * 100,
    finalReads: history.length - workload.length,
    lostAckedWrites: violations.reduce((n, v) => n + (v.kind === 'lost-write' ? (v.lostWrites ?? 0) : 0), 0),
    staleReads: violations.filter((v) => v.kind === 'stale-read').length,
    violations,
    latency: {
      put: latencySummary(workload.filter((o) => o.op === 'put')),
      get: latencySummary(workload.filter((o) => o.op === 'get')),
      delete: latencySummary(workload.filter((o) => o.op === 'delete')),
    },
  };
}
