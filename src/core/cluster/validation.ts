import { isIPv6 } from 'node:net';
import { PairdbError } from '../errors.js';
import type * as pb from '../rpc/types.js';
import { type Clock } from '../model/vector-clock.js';
import { clockFromWire } from '../model/version-wire.js';

/**
 * Input checks of the client path (cluster.md §6 step 1, http-api.md §1.6) and of the admin RPCs; every failure
 * is INVALID_REQUEST except an oversized value (PAYLOAD_TOO_LARGE). Hot-path checks avoid regexes per byte.
 */

export const MAX_KEY_BYTES = 1024;
export const MAX_VALUE_BYTES = 1024 * 1024;
export const MAX_IDEMPOTENCY_KEY = 255;
export const MAX_CONTEXT_ENTRIES = 64;
/** A context counter may run at most one hour ahead of this coordinator's clock (cluster.md §5). */
export const MAX_CONTEXT_AHEAD_MS = 3_600_000;

const TENANT_ID = /^[A-Za-z0-9._-]{1,255}$/;
const NODE_ID = /^[A-Za-z0-9._-]{1,128}$/;
const HOST_NAME = /^[A-Za-z0-9.-]{1,253}$/;

export function checkTenantId(id: string): void {
  if (!TENANT_ID.test(id)) throw new PairdbError('INVALID_REQUEST', 'tenant_id must be 1-255 characters of [A-Za-z0-9._-]');
}

export function checkNodeId(id: string): void {
  if (!NODE_ID.test(id)) throw new PairdbError('INVALID_REQUEST', 'node_id must be 1-128 characters of [A-Za-z0-9._-]');
}

export function checkHost(host: string): void {
  if (!HOST_NAME.test(host) && !isIPv6(host)) {
    throw new PairdbError('INVALID_REQUEST', 'host must be 1-253 characters of [A-Za-z0-9.-] or an IPv6 literal without brackets');
  }
}

/** 1..1024 UTF-8 bytes, no control characters (Unicode category Cc). */
export function checkKey(key: string): void {
  if (key.length === 0 || key.length > MAX_KEY_BYTES || Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new PairdbError('INVALID_REQUEST', `key must be 1-${MAX_KEY_BYTES} UTF-8 bytes`);
  }
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) throw new PairdbError('INVALID_REQUEST', 'key must not contain control characters');
  }
}

/** A value is the UTF-8 JSON the gateway serialized: never empty (that is a tombstone), at most 1 MiB. */
export function checkValue(value: Buffer): void {
  if (value.length === 0) throw new PairdbError('INVALID_REQUEST', 'value must not be empty');
  if (value.length > MAX_VALUE_BYTES) throw new PairdbError('PAYLOAD_TOO_LARGE', `value is larger than ${MAX_VALUE_BYTES} bytes`);
}

export function checkIdempotencyKey(key: string): void {
  if (key.length > MAX_IDEMPOTENCY_KEY) throw new PairdbError('INVALID_REQUEST', `idempotency_key must be at most ${MAX_IDEMPOTENCY_KEY} characters`);
}

/**
 * Parses a client context (cluster.md §5): ≤ 64 entries, actors 1..128 bytes, counters ≤ (now_ms + 1 h)·1000.
 * `null` (absent) stays null: absent and `{}` differ (read-modify-write vs "seen nothing").
 */
export function parseContext(w: pb.VectorClock__Output | null | undefined, nowMs: number): Clock | null {
  if (w === null || w === undefined) return null;
  const clock = clockFromWire(w, MAX_CONTEXT_ENTRIES);
  const limit = (nowMs + MAX_CONTEXT_AHEAD_MS) * 1000;
  for (const e of clock) {
    if (e.counter > limit) throw new PairdbError('INVALID_REQUEST', `context counter of ${JSON.stringify(e.actor)} is too far in the future`);
  }
  return clock;
}
