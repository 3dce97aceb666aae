import { intersectRange, repairItems } from './repair-plan.js';
import { type Ring, ownedRange } from './ring.js';

/**
 * Migration planning (cluster.md §11.2), pure: which stretches of the ring change hands between ring_old and ring_new
 * (or between rf_old and rf_new), and the tasks that move their data — stream tasks (source → target) and, for an RF
 * decrease, repair tasks that bring the remaining replicas the reconciled data. Losers of additions and RF decreases
 * are recorded for the cleanup after grace (§11.5).
 */

/** [start, end) on the wire (start = end: the whole ring). */
export type WireRange = readonly [bigint, bigint];

export interface PlannedTask {
  readonly kind: 'stream' | 'repair';
  /** null for repair tasks (every member of before[:r] is read). */
  readonly source: string | null;
  readonly target: string;
  /** null = all tenants. */
  readonly tenantIds: readonly string[] | null;
  readonly ranges: readonly WireRange[];
  /** Repair tasks: the nodes whose data is reconciled (before[:r]). */
  readonly sources?: readonly string[];
}

export interface PlannedCleanup {
  readonly nodeId: string;
  readonly ranges: readonly WireRange[];
  readonly tenantIds: readonly string[] | null;
}

export interface MigrationPlan {
  readonly tasks: PlannedTask[];
  readonly cleanup: PlannedCleanup[];
  /** Moving segments, for progress and tests. */
  readonly segments: ReadonlyArray<{ range: WireRange; before: readonly string[]; after: readonly string[] }>;
}

export interface PlanInput {
  readonly ringOld: Ring;
  readonly ringNew: Ring;
  /** RF → tenant ids (cluster.md §11.1 rf_groups); for an RF change, one group: the tenant under max(old, new). */
  readonly rfGroups: ReadonlyMap<number, readonly string[]>;
  /** For an RF change: the old and new factor (both rings are the same ring). */
  readonly rfChange?: { readonly oldRf: number; readonly newRf: number };
  /** Liveness at planning time: down losers are replaced by the other members of before[:r]. */
  readonly isAlive?: (nodeId: string) => boolean;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** §11.2 step 1: segments cut at the union of both rings' tokens, with before/after walks. */
function cutSegments(input: PlanInput): Array<{ range: WireRange; before: readonly string[]; after: readonly string[] }> {
  const tokens = [...new Set([...input.ringOld.tokens, ...input.ringNew.tokens].map((t) => t.token))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (tokens.length === 0) return [];
  const rMax = Math.max(...input.rfGroups.keys(), input.rfChange?.oldRf ?? 0, input.rfChange?.newRf ?? 0);
  const rfBefore = input.rfChange?.oldRf ?? rMax;
  const rfAfter = input.rfChange?.newRf ?? rMax;
  const out: Array<{ range: WireRange; before: readonly string[]; after: readonly string[] }> = [];
  for (let i = 0; i < tokens.length; i++) {
    const h = tokens[i]!;
    const prev = tokens[(i - 1 + tokens.length) % tokens.length]!;
    const { start, end } = ownedRange(prev, h);
    // Every position of (prev, H] maps to the same vnode in each ring: the first token ≥ H.
    const before = input.ringOld.preferenceListAt(h, rfBefore);
    const after = input.ringNew.preferenceListAt(h, rfAfter);
    if (sameList(before, after)) continue;
    const last = out[out.length - 1];
    if (last && last.range[1] === start && sameList(last.before, before) && sameList(last.after, after)) {
      out[out.length - 1] = { range: [last.range[0], end], before, after };
    } else {
      out.push({ range: [start, end], before, after });
    }
  }
  // Merge across the wrap.
  if (out.length > 1) {
    const first = out[0]!;
    const last = out[out.length - 1]!;
    if (last.range[1] === first.range[0] && sameList(last.before, first.before) && sameList(last.after, first.after)) {
      out[0] = { range: [last.range[0], first.range[1]], before: first.before, after: first.after };
      out.pop();
    }
  }
  return out;
}

function appendRange(ranges: WireRange[], r: WireRange): void {
  const last = ranges[ranges.length - 1];
  if (last && last[1] === r[0]) ranges[ranges.length - 1] = [last[0], r[1]];
  else ranges.push(r);
}

export function planMigration(input: PlanInput): MigrationPlan {
  const alive = input.isAlive ?? (() => true);
  const segments = cutSegments(input);
  const groups = [...input.rfGroups.entries()].sort((a, b) => a[0] - b[0]);
  const tasks = new Map<string, { kind: 'stream' | 'repair'; source: string | null; target: string; tenantIds: readonly string[] | null; ranges: WireRange[]; sources?: readonly string[] }>();
  const cleanup = new Map<string, { nodeId: string; tenantIds: readonly string[] | null; ranges: WireRange[] }>();

  for (const seg of segments) {
    // (kind, source, target) → tenant ids gained in this segment, and how many groups they came from.
    const perPair = new Map<string, { kind: 'stream' | 'repair'; source: string | null; target: string; tenants: string[]; groups: number; sources?: readonly string[] }>();
    const losersPer = new Map<string, { tenants: string[]; groups: number }>();
    for (const [r, tenantIds] of groups) {
      if (tenantIds.length === 0) continue;
      const before = seg.before.slice(0, input.rfChange ? input.rfChange.oldRf : r);
      const after = seg.after.slice(0, input.rfChange ? input.rfChange.newRf : r);
      const gainers = after.filter((x) => !before.includes(x));
      const losers = before.filter((x) => !after.includes(x));
      const add = (kind: 'stream' | 'repair', source: string | null, target: string, sources?: readonly string[]): void => {
        const k = `${kind}\u0000${source ?? ''}\u0000${target}`;
        const cur = perPair.get(k) ?? { kind, source, target, tenants: [], groups: 0, sources };
        cur.tenants.push(...tenantIds);
        cur.groups++;
        perPair.set(k, cur);
      };
      if (gainers.length > 0 && losers.length > 0) {
        for (let i = 0; i < gainers.length; i++) {
          const loser = losers[Math.min(i, losers.length - 1)]!;
          if (alive(loser)) add('stream', loser, gainers[i]!);
          else for (const s of before.filter((x) => x !== loser && alive(x))) add('stream', s, gainers[i]!);
        }
      } else if (gainers.length > 0) {
        for (const g of gainers) for (const s of before.filter((x) => alive(x))) add('stream', s, g);
      } else if (losers.length > 0) {
        for (const t of after) add('repair', null, t, before);
      }
      // Losers of additions and RF decreases keep a copy until the cleanup after grace; a leaving node is wiped by
      // the operator instead.
      for (const l of losers) {
        if (!input.ringNew.nodeIds.includes(l)) continue;
        const cur = losersPer.get(l) ?? { tenants: [], groups: 0 };
        cur.tenants.push(...tenantIds);
        cur.groups++;
        losersPer.set(l, cur);
      }
    }
    const nonEmptyGroups = groups.filter(([, ids]) => ids.length > 0).length;
    for (const p of perPair.values()) {
      const tenantIds = p.groups === nonEmptyGroups && !input.rfChange ? null : [...new Set(p.tenants)].sort();
      const k = `${p.kind}\u0000${p.source ?? ''}\u0000${p.target}\u0000${tenantIds?.join(',') ?? '*'}`;
      const t = tasks.get(k) ?? { kind: p.kind, source: p.source, target: p.target, tenantIds, ranges: [], sources: p.sources };
      appendRange(t.ranges, seg.range);
      tasks.set(k, t);
    }
    for (const [nodeId, l] of losersPer) {
      const tenantIds = l.groups === nonEmptyGroups && !input.rfChange ? null : [...new Set(l.tenants)].sort();
      const k = `${nodeId}\u0000${tenantIds?.join(',') ?? '*'}`;
      const c = cleanup.get(k) ?? { nodeId, tenantIds, ranges: [] };
      appendRange(c.ranges, seg.range);
      cleanup.set(k, c);
    }
  }
  return { tasks: [...tasks.values()], cleanup: [...cleanup.values()], segments };
}

/** ranges as stored (cluster.md §15: `[["<start>","<end>"],…]`). */
export function rangesToJson(ranges: readonly WireRange[]): Array<[string, string]> {
  return ranges.map(([s, e]) => [s.toString(), e.toString()]);
}

export function rangesFromJson(ranges: ReadonlyArray<readonly [string, string]>): WireRange[] {
  return ranges.map(([s, e]) => [BigInt(s), BigInt(e)]);
}

/**
 * The parts of `ranges` that `nodeId` is no replica of under `ring` for any of the replication factors `rfs` — what
 * the cleanup after grace (§11.5) may drop from it, even if later migrations moved ranges back to it.
 */
export function replicaFreeRanges(ring: Ring, nodeId: string, ranges: readonly WireRange[], rfs: readonly number[]): WireRange[] {
  const rf = Math.max(0, ...rfs);
  const free = rf === 0 || ring.tokens.length === 0 ? [{ start: 0n, end: 0n }] : repairItems(ring, rf).filter((it) => !it.replicas.includes(nodeId));
  const out: WireRange[] = [];
  for (const [start, end] of ranges) for (const f of free) for (const r of intersectRange({ start, end }, f)) out.push([r.start, r.end]);
  return out.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}
