import { describe, expect, it } from 'vitest';
import { clockJson, iso, isoOrNull } from '../../../src/core/http/json-format.js';
import { deleteResponseJson, idempotencyStatus, readResponseJson, writeResponseJson } from '../../../src/core/http/kv-response.js';
import { errorJson, outcomeOf, toApiError } from '../../../src/core/http/error-envelope.js';
import { PairdbError } from '../../../src/core/errors.js';
import type * as pb from '../../../src/core/rpc/types.js';

const clock = (...e: Array<[string, number]>): pb.VectorClock__Output => ({ entries: e.map(([actor, c]) => ({ actor, counter: String(c) })) });

function writeOk(over: Partial<pb.WriteKeyValueResponse__Output> = {}): pb.WriteKeyValueResponse__Output {
  return {
    key: 'user:42',
    idempotency_key: 'order-7781',
    vector_clock: clock(['coord-1', 7]),
    replica_count: 2,
    consistency: 'CONSISTENCY_QUORUM',
    is_duplicate: false,
    idempotency_bypassed: false,
    ...over,
  };
}

describe('clockJson', () => {
  it('emits keys in ascending code-unit order, integer-like and __proto__ actors included', () => {
    expect(clockJson(clock(['b', 1], ['a', 2]))).toBe('{"a":2,"b":1}');
    expect(clockJson(clock(['9', 1], ['10', 2], ['A', 3]))).toBe('{"10":2,"9":1,"A":3}');
    expect(clockJson(clock(['__proto__', 4]))).toBe('{"__proto__":4}');
    expect(clockJson(null)).toBe('{}');
  });
});

describe('timestamps', () => {
  it('formats YYYY-MM-DDTHH:mm:ss.sssZ and maps 0 to null', () => {
    expect(iso('1740821400000')).toBe('2025-03-01T09:30:00.000Z');
    expect(isoOrNull('0')).toBeNull();
    expect(isoOrNull('1740821462114')).toBe('2025-03-01T09:31:02.114Z');
  });
});

describe('key-value bodies', () => {
  it('POST: members in the documented order', () => {
    expect(writeResponseJson('user:42', 'order-7781', 'quorum', writeOk())).toBe(
      '{"status":"success","key":"user:42","idempotency_key":"order-7781","vector_clock":{"coord-1":7},"replica_count":2,"consistency":"quorum","is_duplicate":false}',
    );
  });

  it('POST: the effective level comes from the coordinator, the requested one when unspecified', () => {
    expect(JSON.parse(writeResponseJson('k', 'i', 'one', writeOk({ consistency: 'CONSISTENCY_ALL' }))).consistency).toBe('all');
    expect(JSON.parse(writeResponseJson('k', 'i', 'one', writeOk({ consistency: 'CONSISTENCY_UNSPECIFIED' }))).consistency).toBe('one');
  });

  it('maps duplicates and bypasses to X-Idempotency-Status', () => {
    expect(idempotencyStatus(writeOk())).toBe('recorded');
    expect(idempotencyStatus(writeOk({ is_duplicate: true }))).toBe('replayed');
    expect(idempotencyStatus(writeOk({ idempotency_bypassed: true }))).toBe('bypassed');
  });

  it('GET: the stored bytes come back as compact JSON of the same value', () => {
    const r: pb.ReadKeyValueResponse__Output = {
      key: 'user:42',
      value: Buffer.from('{"name":"Ada","tags":["x"]}'),
      vector_clock: clock(['coord-1', 7]),
      siblings: [],
      timestamp_ms: '0',
      replica_count: 2,
    };
    expect(readResponseJson('user:42', r)).toBe(
      '{"status":"success","key":"user:42","value":{"name":"Ada","tags":["x"]},"vector_clock":{"coord-1":7}}',
    );
    expect(JSON.parse(readResponseJson('k', { ...r, value: Buffer.from('"v-1712"') })).value).toBe('v-1712');
    expect(JSON.parse(readResponseJson('k', { ...r, value: Buffer.from('null') })).value).toBeNull();
  });

  it('GET: siblings in the given order, tombstones as deleted', () => {
    const r: pb.ReadKeyValueResponse__Output = {
      key: 'cart:9',
      value: Buffer.from('["b"]'),
      vector_clock: clock(['coord-1', 3], ['coord-2', 5]),
      siblings: [
        { value: Buffer.from('["b"]'), vector_clock: clock(['coord-2', 5]), timestamp_ms: '2' },
        { value: Buffer.alloc(0), vector_clock: clock(['coord-3', 1]), timestamp_ms: '1' },
        { value: Buffer.from('["a"]'), vector_clock: clock(['coord-1', 3]), timestamp_ms: '1' },
      ],
      timestamp_ms: '2',
      replica_count: 2,
    };
    expect(readResponseJson('cart:9', r)).toBe(
      '{"status":"success","key":"cart:9","value":["b"],"vector_clock":{"coord-1":3,"coord-2":5},"siblings":[' +
        '{"value":["b"],"vector_clock":{"coord-2":5}},{"deleted":true,"vector_clock":{"coord-3":1}},{"value":["a"],"vector_clock":{"coord-1":3}}]}',
    );
  });

  it('GET: bytes that are not JSON are an INTERNAL_ERROR, not a garbled answer', () => {
    const r = { key: 'k', value: Buffer.from('not json'), vector_clock: null, siblings: [], timestamp_ms: '0', replica_count: 1 };
    expect(() => readResponseJson('k', r)).toThrowError(PairdbError);
  });

  it('DELETE: members in the documented order', () => {
    const r: pb.DeleteKeyValueResponse__Output = {
      key: 'user:42',
      vector_clock: clock(['coord-1', 8]),
      replica_count: 2,
      consistency: 'CONSISTENCY_QUORUM',
      idempotency_key: '',
      is_duplicate: false,
      idempotency_bypassed: false,
    };
    expect(deleteResponseJson('user:42', r)).toBe('{"status":"success","key":"user:42","vector_clock":{"coord-1":8},"replica_count":2}');
  });
});

describe('error envelope', () => {
  it('orders request_id, outcome, idempotency_key, retry_after_seconds', () => {
    expect(errorJson('TIMEOUT', 'no answer within 8000 ms', 'r-17', { outcome: 'unknown', idempotencyKey: 'order-7781' })).toBe(
      '{"status":"error","error_code":"TIMEOUT","message":"no answer within 8000 ms","request_id":"r-17","outcome":"unknown","idempotency_key":"order-7781"}',
    );
    expect(errorJson('RATE_LIMIT_EXCEEDED', 'write limit exceeded for tenant acme', 'r-18', { retryAfterSeconds: 1 })).toBe(
      '{"status":"error","error_code":"RATE_LIMIT_EXCEEDED","message":"write limit exceeded for tenant acme","request_id":"r-18","retry_after_seconds":1}',
    );
    expect(errorJson('KEY_NOT_FOUND', 'key not found', 'r')).toBe(
      '{"status":"error","error_code":"KEY_NOT_FOUND","message":"key not found","request_id":"r"}',
    );
  });

  it('passes API codes through and hides everything else behind INTERNAL_ERROR / SERVICE_UNAVAILABLE', () => {
    expect(toApiError(new PairdbError('TENANT_EXISTS', 'x')).code).toBe('TENANT_EXISTS');
    expect(toApiError(new PairdbError('STALE_TOPOLOGY', 'x')).code).toBe('INTERNAL_ERROR');
    expect(toApiError(new PairdbError('NOT_READY', 'x')).code).toBe('SERVICE_UNAVAILABLE');
    const bug = toApiError(new TypeError('cannot read x of undefined at /srv/app.js:1'));
    expect(bug.code).toBe('INTERNAL_ERROR');
    expect(bug.message).not.toContain('/srv');
  });

  it('decides the outcome of a failed mutation', () => {
    expect(outcomeOf(new PairdbError('TIMEOUT', 't', { outcome: 'not_applied' }), false)).toBe('unknown');
    expect(outcomeOf(new PairdbError('SERVICE_UNAVAILABLE', 's'), false)).toBe('not_applied');
    expect(outcomeOf(new PairdbError('SERVICE_UNAVAILABLE', 's', { outcome: 'not_applied' }), true)).toBe('not_applied');
    expect(outcomeOf(new PairdbError('SERVICE_UNAVAILABLE', 's', { outcome: 'unknown' }), true)).toBe('unknown');
    expect(outcomeOf(new PairdbError('QUORUM_NOT_REACHED', 'q'), true)).toBe('unknown');
  });
});
