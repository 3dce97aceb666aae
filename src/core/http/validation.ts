import { isIPv6 } from 'node:net';
import { PairdbError } from '../errors.js';

/**
 * Field rules of the HTTP API (http-api.md §1.6, §3, §7, §8). Every violation is a PairdbError with the spec code;
 * messages name the field but never echo more than the caller sent.
 */

/** A JSON object as parsed from a request body (own members only). */
export type JsonObject = Record<string, unknown>;

const TENANT_ID_RE = /^[A-Za-z0-9._-]{1,255}$/;
const NODE_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;
const HOST_NAME_RE = /^[A-Za-z0-9.-]{1,253}$/;
const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;
// Unicode category Cc: C0 controls, DEL and the C1 controls.
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

export const MAX_KEY_BYTES = 1024;
export const MAX_VALUE_BYTES = 1_048_576;
export const MAX_CLOCK_ENTRIES = 64;
export const MAX_CLOCK_HEADER_BYTES = 8192;

export function invalid(message: string): PairdbError {
  return new PairdbError('INVALID_REQUEST', message);
}

export function isTenantId(s: unknown): s is string {
  return typeof s === 'string' && TENANT_ID_RE.test(s);
}

export function isNodeId(s: unknown): s is string {
  return typeof s === 'string' && NODE_ID_RE.test(s);
}

export function assertTenantId(s: unknown, where = 'tenant_id'): string {
  if (!isTenantId(s)) throw invalid(`${where} must be 1-255 characters of [A-Za-z0-9._-]`);
  return s;
}

export function assertNodeId(s: unknown, where = 'node_id'): string {
  if (!isNodeId(s)) throw invalid(`${where} must be 1-128 characters of [A-Za-z0-9._-]`);
  return s;
}

/** Key rule of §1.6: 1-1024 UTF-8 bytes, well-formed Unicode, no Cc; compared byte-wise, never normalized. */
export function assertKey(k: unknown): string {
  if (typeof k !== 'string') throw invalid('key must be a string');
  // A UTF-16 unit is at least one UTF-8 byte, so a long string is rejected before counting bytes.
  if (k.length === 0 || k.length > MAX_KEY_BYTES || Buffer.byteLength(k, 'utf8') > MAX_KEY_BYTES) {
    throw invalid('key must be 1-1024 UTF-8 bytes');
  }
  if (!(k as string & { isWellFormed(): boolean }).isWellFormed()) throw invalid('key is not well-formed Unicode');
  if (CONTROL_RE.test(k)) throw invalid('key must not contain control characters');
  return k;
}

export type ConsistencyLevel = 'one' | 'quorum' | 'all';

const CONSISTENCY_WIRE = {
  one: 'CONSISTENCY_ONE',
  quorum: 'CONSISTENCY_QUORUM',
  all: 'CONSISTENCY_ALL',
} as const;

export type WireConsistency = (typeof CONSISTENCY_WIRE)[ConsistencyLevel];

/** `"one"`, `"quorum"`, `"all"` exactly (lowercase); absent or null → quorum. */
export function parseConsistency(v: unknown): ConsistencyLevel {
  if (v === undefined || v === null) return 'quorum';
  if (v === 'one' || v === 'quorum' || v === 'all') return v;
  throw invalid('consistency must be "one", "quorum" or "all"');
}

export function consistencyToWire(c: ConsistencyLevel): WireConsistency {
  return CONSISTENCY_WIRE[c];
}

/** The API name of a wire consistency; UNSPECIFIED (or anything unknown) → `fallback`. */
export function consistencyFromWire(w: string, fallback: ConsistencyLevel): ConsistencyLevel {
  switch (w) {
    case 'CONSISTENCY_ONE':
      return 'one';
    case 'CONSISTENCY_QUORUM':
      return 'quorum';
    case 'CONSISTENCY_ALL':
      return 'all';
    default:
      return fallback;
  }
}

/** A validated causal context: entries sorted by actor (code-unit order), counters 0..2^53-1. */
export interface ClockInput {
  readonly entries: ReadonlyArray<{ readonly actor: string; readonly counter: number }>;
}

/** Validates a `vector_clock` JSON value (§1.6): object of ≤ 64 actor → integer counter entries. */
export function parseClock(v: unknown, where = 'vector_clock'): ClockInput {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${where} must be a JSON object`);
  const entries: { actor: string; counter: number }[] = [];
  for (const actor of Object.keys(v)) {
    if (entries.length === MAX_CLOCK_ENTRIES) throw invalid(`${where} has more than ${MAX_CLOCK_ENTRIES} entries`);
    if (!NODE_ID_RE.test(actor)) throw invalid(`${where} actor ids must be 1-128 characters of [A-Za-z0-9._-]`);
    const counter = (v as JsonObject)[actor];
    if (typeof counter !== 'number' || !Number.isSafeInteger(counter) || counter < 0) {
      throw invalid(`${where} counters must be integers 0..2^53-1`);
    }
    entries.push({ actor, counter });
  }
  entries.sort((a, b) => (a.actor < b.actor ? -1 : a.actor > b.actor ? 1 : 0));
  return { entries };
}

/** Parses the `X-Vector-Clock` header: ≤ 8 KiB of the same JSON as the body member. */
export function parseClockHeader(h: string | string[] | undefined): ClockInput | undefined {
  if (h === undefined) return undefined;
  if (Array.isArray(h)) throw invalid('X-Vector-Clock must be given once');
  if (Buffer.byteLength(h, 'utf8') > MAX_CLOCK_HEADER_BYTES) throw invalid('X-Vector-Clock is larger than 8 KiB');
  let parsed: unknown;
  try {
    parsed = JSON.parse(h);
  } catch {
    throw invalid('X-Vector-Clock is not valid JSON');
  }
  return parseClock(parsed, 'X-Vector-Clock');
}

/** Clock equality ignoring entry order (both inputs are sorted by parseClock). */
export function sameClock(a: ClockInput, b: ClockInput): boolean {
  if (a.entries.length !== b.entries.length) return false;
  for (let i = 0; i < a.entries.length; i++) {
    const x = a.entries[i]!;
    const y = b.entries[i]!;
    if (x.actor !== y.actor || x.counter !== y.counter) return false;
  }
  return true;
}

/** Body member and header together (§4.2): both present and unequal → 400. */
export function resolveContext(bodyClock: unknown, header: string | string[] | undefined): ClockInput | undefined {
  const fromBody = bodyClock === undefined || bodyClock === null ? undefined : parseClock(bodyClock);
  const fromHeader = parseClockHeader(header);
  if (fromBody && fromHeader && !sameClock(fromBody, fromHeader)) {
    throw invalid('vector_clock and X-Vector-Clock disagree');
  }
  return fromBody ?? fromHeader;
}

/** `Idempotency-Key`: 1-255 characters of 0x21-0x7E. */
export function parseIdempotencyKey(h: string | string[] | undefined): string | undefined {
  if (h === undefined) return undefined;
  if (typeof h !== 'string' || !IDEMPOTENCY_KEY_RE.test(h)) {
    throw invalid('Idempotency-Key must be 1-255 printable ASCII characters without spaces');
  }
  return h;
}

export function isValidIdempotencyKey(h: unknown): h is string {
  return typeof h === 'string' && IDEMPOTENCY_KEY_RE.test(h);
}

/** Deepest nesting a value may have: JSON.stringify recurses and overflows the stack a few thousand levels down. */
export const MAX_VALUE_DEPTH = 512;

/**
 * The stored bytes of a value (§4.4): its compact serialization, ≤ 1 MiB (else 413). Numbers outside the double
 * range parse to ±Infinity, which has no JSON form: refused rather than silently stored as null.
 */
export function serializeValue(value: unknown): Buffer {
  if (value !== null && typeof value === 'object') checkTree(value);
  else if (typeof value === 'number' && !Number.isFinite(value)) throw nonFinite();
  const text = JSON.stringify(value);
  // Length in UTF-16 units is ≤ the UTF-8 byte length ≤ 3× it; skip the count for values far below the cap.
  if (text.length > MAX_VALUE_BYTES / 3 && Buffer.byteLength(text, 'utf8') > MAX_VALUE_BYTES) {
    throw new PairdbError('PAYLOAD_TOO_LARGE', 'value is larger than 1 MiB when serialized');
  }
  return Buffer.from(text, 'utf8');
}

function nonFinite(): PairdbError {
  return invalid('value contains a number outside the IEEE-754 double range');
}

/** Iterative walk (no recursion, so no stack overflow): finite numbers, nesting ≤ MAX_VALUE_DEPTH. */
function checkTree(root: object): void {
  const nodes: unknown[] = [root];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > MAX_VALUE_DEPTH) throw invalid(`value is nested deeper than ${MAX_VALUE_DEPTH} levels`);
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node as JsonObject);
    for (const c of children) {
      if (c === null) continue;
      if (typeof c === 'object') {
        nodes.push(c);
        depths.push(depth + 1);
      } else if (typeof c === 'number' && !Number.isFinite(c)) {
        throw nonFinite();
      }
    }
  }
}

/** Rejects members outside `allowed` (§1.2: undefined members → 400). */
export function assertKnownMembers(obj: JsonObject, allowed: ReadonlySet<string>): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.has(k)) throw invalid(`unknown member ${JSON.stringify(k.slice(0, 64))}`);
  }
}

/** An optional strict integer member: null/absent → undefined; fractions, strings, out of range → `err`. */
export function optionalInteger(v: unknown, min: number, max: number, err: () => PairdbError): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw err();
  return v;
}

/** A host of §8.1: 1-253 characters of [A-Za-z0-9.-], or an IPv6 literal without brackets. */
export function isHost(s: unknown): s is string {
  return typeof s === 'string' && (HOST_NAME_RE.test(s) || (s.includes(':') && isIPv6(s)));
}
