import { PairdbError } from '../errors.js';
import type * as pb from '../rpc/types.js';
import type { MemberStatus, MemberView, RingMemberRef } from './membership.js';

/** MemberState / RingMember ↔ the membership's types (rpc.md Gossip). Bad input → INVALID_REQUEST, never a crash. */

const NODE_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;
const UINT64_MAX = (1n << 64n) - 1n;

const STATUS_TO_WIRE: Readonly<Record<MemberStatus, string>> = {
  alive: 'MEMBER_ALIVE',
  suspect: 'MEMBER_SUSPECT',
  down: 'MEMBER_DOWN',
  left: 'MEMBER_LEFT',
};

const STATUS_FROM_WIRE: Readonly<Record<string, MemberStatus>> = {
  MEMBER_ALIVE: 'alive',
  MEMBER_SUSPECT: 'suspect',
  MEMBER_DOWN: 'down',
  MEMBER_LEFT: 'left',
};

function invalid(message: string): PairdbError {
  return new PairdbError('INVALID_REQUEST', message);
}

function checkNodeId(id: string, what: string): void {
  if (!NODE_ID_RE.test(id)) throw invalid(`${what} ${JSON.stringify(id)} is not a node id ([A-Za-z0-9._-]{1,128})`);
}

/** A uint64 field as proto-loader hands it over (decimal string; numbers from in-process callers). */
export function uint64FromWire(v: unknown, what: string): bigint {
  const text = typeof v === 'number' || typeof v === 'bigint' ? String(v) : v;
  if (typeof text !== 'string' || !/^\d{1,20}$/.test(text)) throw invalid(`${what} must be an unsigned 64-bit integer`);
  const n = BigInt(text);
  if (n > UINT64_MAX) throw invalid(`${what} must be an unsigned 64-bit integer`);
  return n;
}

export function memberToWire(m: MemberView): pb.MemberState {
  return {
    node_id: m.nodeId,
    address: m.address,
    generation: m.generation.toString(),
    heartbeat: m.heartbeat.toString(),
    status: STATUS_TO_WIRE[m.status] as pb.MemberState['status'],
    disk_usage_percent: m.load.diskUsagePercent,
    key_count: m.load.keyCount.toString(),
    load_bytes: m.load.loadBytes.toString(),
    gc_grace_ms: m.load.gcGraceMs.toString(),
  };
}

export function memberFromWire(w: pb.MemberState__Output, i: number): MemberView {
  const at = `members[${i}]`;
  checkNodeId(w.node_id, `${at}.node_id`);
  const status = STATUS_FROM_WIRE[String(w.status)];
  if (!status) throw invalid(`${at}.status ${String(w.status)} is not a member status`);
  const disk = Number(w.disk_usage_percent);
  return {
    nodeId: w.node_id,
    address: String(w.address ?? ''),
    generation: uint64FromWire(w.generation, `${at}.generation`),
    heartbeat: uint64FromWire(w.heartbeat, `${at}.heartbeat`),
    status,
    load: {
      diskUsagePercent: Number.isFinite(disk) && disk >= 0 ? disk : 0,
      keyCount: uint64FromWire(w.key_count, `${at}.key_count`),
      loadBytes: uint64FromWire(w.load_bytes, `${at}.load_bytes`),
      gcGraceMs: uint64FromWire(w.gc_grace_ms, `${at}.gc_grace_ms`),
    },
  };
}

export function ringToWire(ring: readonly RingMemberRef[]): pb.RingMember[] {
  return ring.map((m) => ({ node_id: m.nodeId, address: m.address }));
}

export function ringFromWire(ring: readonly pb.RingMember__Output[]): RingMemberRef[] {
  const seen = new Set<string>();
  return ring.map((m, i) => {
    checkNodeId(m.node_id, `ring[${i}].node_id`);
    if (seen.has(m.node_id)) throw invalid(`ring[${i}].node_id ${m.node_id} is listed twice`);
    seen.add(m.node_id);
    if (typeof m.address !== 'string' || m.address === '') throw invalid(`ring[${i}].address must not be empty`);
    return { nodeId: m.node_id, address: m.address };
  });
}
