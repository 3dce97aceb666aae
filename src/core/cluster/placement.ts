import type { MigrationPhaseName } from '../metadata/metadata-store.js';
import { type Level, required } from './quorum.js';
import type { Ring } from './ring.js';

/**
 * Where a key's reads and writes go, and what a write needs to succeed, in every migration phase (cluster.md §3).
 * Pure: built from ring_old (`normal` + `leaving` nodes), ring_new (`normal` + `bootstrapping`) and the running
 * migration, once per topology epoch.
 *
 * | phase                        | writes to       | write succeeds with                        | reads from |
 * | prepare, streaming           | P_old ∪ P_new   | required(L, rf_old) in P_old               | P_old      |
 * | handover_write, hint_replay  | P_old ∪ P_new   | … AND required(L, rf_new) in P_new         | P_old      |
 * | handover_read                | P_old ∪ P_new   | as handover_write                          | P_new      |
 * | done / no migration          | P_new           | required(L, rf_new) in P_new               | P_new      |
 */

/** A set of replicas of which `need` must ack. */
export interface QuorumCondition {
  readonly members: readonly string[];
  readonly need: number;
}

export interface KeyPlacement {
  /** Every node the write goes to (P_old ∪ P_new during a migration). */
  readonly writeTargets: readonly string[];
  /** All must hold for a write to succeed; a node's ack counts toward every condition it is a member of. */
  readonly writeConditions: readonly QuorumCondition[];
  /** The authoritative list reads (and the read step of a write) go to. */
  readonly readSet: readonly string[];
  readonly readNeed: number;
}

/** The part of the running migration placement depends on. */
export interface PlacementMigration {
  readonly phase: MigrationPhaseName;
  /** Set for a replication_change: the tenant whose rf_old ≠ rf_new. */
  readonly tenantId: string | null;
  readonly oldRf: number | null;
  readonly newRf: number | null;
}

function union(a: readonly string[], b: readonly string[]): readonly string[] {
  if (b.every((x) => a.includes(x))) return a;
  return [...a, ...b.filter((x) => !a.includes(x))];
}

export class Placement {
  readonly ringOld: Ring;
  readonly ringNew: Ring;
  readonly migration: PlacementMigration | null;

  constructor(ringOld: Ring, ringNew: Ring, migration: PlacementMigration | null) {
    this.ringOld = ringOld;
    this.ringNew = ringNew;
    this.migration = migration && migration.phase !== 'done' ? migration : null;
  }

  /** rf_old and rf_new of a tenant: they differ only for the tenant of a running RF change. */
  rfs(tenantId: string, rf: number): { rfOld: number; rfNew: number } {
    const m = this.migration;
    if (m && m.tenantId === tenantId && m.oldRf !== null && m.newRf !== null) return { rfOld: m.oldRf, rfNew: m.newRf };
    return { rfOld: rf, rfNew: rf };
  }

  /** Placement of one key of a tenant whose stored replication factor is `rf`, at consistency `level`. */
  forKey(tenantId: string, key: string, rf: number, level: Level): KeyPlacement {
    const m = this.migration;
    const { rfOld, rfNew } = this.rfs(tenantId, rf);
    const pNew = this.ringNew.preferenceList(tenantId, key, rfNew);
    if (!m) {
      const need = required(level, rfNew);
      return { writeTargets: pNew, writeConditions: [{ members: pNew, need }], readSet: pNew, readNeed: need };
    }
    const pOld = this.ringOld.preferenceList(tenantId, key, rfOld);
    const oldCond: QuorumCondition = { members: pOld, need: required(level, rfOld) };
    const writeTargets = union(pOld, pNew);
    if (m.phase === 'prepare' || m.phase === 'streaming') {
      return { writeTargets, writeConditions: [oldCond], readSet: pOld, readNeed: oldCond.need };
    }
    const newCond: QuorumCondition = { members: pNew, need: required(level, rfNew) };
    const readNew = m.phase === 'handover_read';
    return {
      writeTargets,
      writeConditions: [oldCond, newCond],
      readSet: readNew ? pNew : pOld,
      readNeed: readNew ? newCond.need : oldCond.need,
    };
  }
}

export type MultiQuorumState = 'pending' | 'success' | 'impossible';

/**
 * Counts a fan-out's answers against several conditions at once (§3 "A node's ack counts once" per condition it is in):
 * `success` once every condition has its acks, `impossible` as soon as one cannot be met by the members still out.
 */
export class MultiQuorum {
  // Lists are a replication factor long (≤ 10): arrays and `includes` beat building Sets on every write.
  readonly #conds: Array<{ members: readonly string[]; need: number; acks: number; outstanding: number }>;
  #outstanding: number;
  #acks = 0;

  constructor(conditions: readonly QuorumCondition[], targets: number) {
    this.#conds = conditions.map((c) => ({ members: c.members, need: c.need, acks: 0, outstanding: c.members.length }));
    this.#outstanding = targets;
  }

  /** Acks from members of any condition (the reply's replica_count). */
  get acks(): number {
    return this.#acks;
  }

  get settled(): boolean {
    return this.#outstanding === 0;
  }

  get state(): MultiQuorumState {
    let success = true;
    for (const c of this.#conds) {
      if (c.acks >= c.need) continue;
      success = false;
      if (c.acks + c.outstanding < c.need) return 'impossible';
    }
    return success ? 'success' : 'pending';
  }

  ack(node: string): MultiQuorumState {
    this.#outstanding--;
    let counted = false;
    for (const c of this.#conds) {
      if (!c.members.includes(node)) continue;
      counted = true;
      c.acks++;
      c.outstanding--;
    }
    if (counted) this.#acks++;
    return this.state;
  }

  fail(node: string): MultiQuorumState {
    this.#outstanding--;
    for (const c of this.#conds) if (c.members.includes(node)) c.outstanding--;
    return this.state;
  }
}
