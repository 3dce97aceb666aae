import { describe, expect, it } from 'vitest';
import { parseKvDelete, parseKvRead, parseKvWrite, resolveKvTenant } from '../../../src/core/http/kv-request.js';
import { parseQuery } from '../../../src/core/http/query.js';
import { PairdbError } from '../../../src/core/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as PairdbError).code;
  }
}

const NO_QUERY = parseQuery(undefined);

describe('resolveKvTenant', () => {
  it('takes the tenant from any one source', () => {
    expect(resolveKvTenant('POST', { tenant_id: 'acme' }, NO_QUERY, undefined)).toBe('acme');
    expect(resolveKvTenant('GET', undefined, parseQuery('tenant_id=acme'), undefined)).toBe('acme');
    expect(resolveKvTenant('DELETE', undefined, NO_QUERY, 'acme')).toBe('acme');
    expect(resolveKvTenant('DELETE', { tenant_id: 'acme' }, parseQuery('tenant_id=acme'), 'acme')).toBe('acme');
  });

  it('rejects disagreeing sources and missing tenants', () => {
    expect(codeOf(() => resolveKvTenant('POST', { tenant_id: 'acme' }, NO_QUERY, 'other'))).toBe('INVALID_REQUEST');
    expect(codeOf(() => resolveKvTenant('DELETE', { tenant_id: 'acme' }, parseQuery('tenant_id=b'), undefined))).toBe('INVALID_REQUEST');
    expect(codeOf(() => resolveKvTenant('GET', undefined, NO_QUERY, undefined))).toBe('INVALID_REQUEST');
    expect(codeOf(() => resolveKvTenant('POST', { tenant_id: null }, NO_QUERY, undefined))).toBe('INVALID_REQUEST');
    expect(codeOf(() => resolveKvTenant('POST', { tenant_id: 5 }, NO_QUERY, undefined))).toBe('INVALID_REQUEST');
    expect(codeOf(() => resolveKvTenant('GET', undefined, parseQuery('tenant_id=bad!'), undefined))).toBe('INVALID_REQUEST');
  });

  it('ignores the sources a method does not have (GET body, POST query)', () => {
    expect(resolveKvTenant('GET', { tenant_id: 'other' }, parseQuery('tenant_id=acme'), undefined)).toBe('acme');
    expect(resolveKvTenant('POST', { tenant_id: 'acme' }, parseQuery('tenant_id=other'), undefined)).toBe('acme');
  });
});

describe('parseKvWrite', () => {
  it('returns the stored bytes, the level, the context and the client key', () => {
    const w = parseKvWrite(
      { tenant_id: 'acme', key: 'user:42', value: { b: 1, a: [1.0, 'x'] }, consistency: 'all', vector_clock: { c2: 5, c1: 7 } },
      NO_QUERY,
      { 'idempotency-key': 'order-7781' },
    );
    expect(w.key).toBe('user:42');
    expect(w.value.toString()).toBe('{"b":1,"a":[1,"x"]}');
    expect(w.consistency).toBe('all');
    expect(w.context!.entries).toEqual([
      { actor: 'c1', counter: 7 },
      { actor: 'c2', counter: 5 },
    ]);
    expect(w.idempotencyKey).toBe('order-7781');
  });

  it('accepts null as a value and defaults to quorum without context', () => {
    const w = parseKvWrite({ key: 'k', value: null }, NO_QUERY, {});
    expect(w.value.toString()).toBe('null');
    expect(w.consistency).toBe('quorum');
    expect(w.context).toBeUndefined();
    expect(w.idempotencyKey).toBeUndefined();
  });

  it('rejects query parameters, unknown members, a missing key or value', () => {
    expect(codeOf(() => parseKvWrite({ key: 'k', value: 1 }, parseQuery('x=1'), {}))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseKvWrite({ key: 'k', value: 1, ttl: 5 }, NO_QUERY, {}))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseKvWrite({ value: 1 }, NO_QUERY, {}))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseKvWrite({ key: 'k' }, NO_QUERY, {}))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseKvWrite({ key: 'k', value: 1 }, NO_QUERY, { 'idempotency-key': 'a b' }))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseKvWrite({ key: 'k', value: 1, vector_clock: { a: 1 } }, NO_QUERY, { 'x-vector-clock': '{"a":2}' }))).toBe(
      'INVALID_REQUEST',
    );
  });

  it('answers PAYLOAD_TOO_LARGE for a value above 1 MiB', () => {
    expect(codeOf(() => parseKvWrite({ key: 'k', value: 'x'.repeat(1_048_600) }, NO_QUERY, {}))).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('parseKvRead', () => {
  it('takes key and consistency from the query and refuses anything else', () => {
    expect(parseKvRead(parseQuery('tenant_id=a&key=user%3A42&consistency=one'))).toEqual({ key: 'user:42', consistency: 'one' });
    expect(codeOf(() => parseKvRead(parseQuery('tenant_id=a')))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseKvRead(parseQuery('key=k&consistency=')))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseKvRead(parseQuery('key=k&vector_clock=%7B%7D')))).toBe('INVALID_REQUEST');
  });
});

describe('parseKvDelete', () => {
  it('takes members from the query, the body or both when they match', () => {
    expect(parseKvDelete(undefined, parseQuery('key=k&consistency=all'), {})).toMatchObject({ key: 'k', consistency: 'all' });
    expect(parseKvDelete({ key: 'k' }, NO_QUERY, {})).toMatchObject({ key: 'k', consistency: 'quorum' });
    expect(parseKvDelete({ key: 'k', consistency: 'one' }, parseQuery('key=k&consistency=one'), {})).toMatchObject({ key: 'k' });
    expect(parseKvDelete({ key: 'k', vector_clock: { c1: 8 } }, NO_QUERY, {}).context!.entries).toEqual([{ actor: 'c1', counter: 8 }]);
  });

  it('rejects mismatches, vector_clock in the query, unknown members and a missing key', () => {
    expect(codeOf(() => parseKvDelete({ key: 'a' }, parseQuery('key=b'), {}))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseKvDelete({ consistency: 'one' }, parseQuery('key=k&consistency=all'), {}))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseKvDelete(undefined, parseQuery('key=k&vector_clock=%7B%7D'), {}))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseKvDelete({ key: 'k', value: 1 }, NO_QUERY, {}))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseKvDelete(undefined, NO_QUERY, {}))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseKvDelete({ key: 7 }, NO_QUERY, {}))).toBe('INVALID_REQUEST');
  });
});
