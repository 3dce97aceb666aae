import { describe, expect, it } from 'vitest';
import { assertKnownParams, parseQuery } from '../../../src/core/http/query.js';
import { PairdbError } from '../../../src/core/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as PairdbError).code;
  }
}

describe('parseQuery', () => {
  it('decodes form-urlencoded names and values (+ is a space)', () => {
    const q = parseQuery('tenant_id=acme&key=user%3A42+x&consistency=one&key2=a%2Bb&flag');
    expect(q.get('tenant_id')).toBe('acme');
    expect(q.get('key')).toBe('user:42 x');
    expect(q.get('key2')).toBe('a+b');
    expect(q.get('flag')).toBe('');
  });

  it('skips empty pieces and accepts an empty query', () => {
    expect([...parseQuery('a=1&&b=2&').keys()]).toEqual(['a', 'b']);
    expect(parseQuery('').size).toBe(0);
    expect(parseQuery(undefined).size).toBe(0);
  });

  it('rejects repeated parameters, even with equal values', () => {
    expect(codeOf(() => parseQuery('key=a&key=a'))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseQuery('key=a&k%65y=b'))).toBe('INVALID_REQUEST');
  });

  it('rejects malformed escapes and invalid UTF-8', () => {
    expect(codeOf(() => parseQuery('key=%zz'))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseQuery('key=%C3'))).toBe('INVALID_REQUEST');
  });

  it('keeps __proto__ as a plain name', () => {
    const q = parseQuery('__proto__=x');
    expect(q.get('__proto__')).toBe('x');
    expect(codeOf(() => assertKnownParams(q, new Set(['key'])))).toBe('INVALID_REQUEST');
  });
});

describe('assertKnownParams', () => {
  it('rejects parameters outside the allowed set', () => {
    expect(codeOf(() => assertKnownParams(parseQuery('key=a&extra=1'), new Set(['key'])))).toBe('INVALID_REQUEST');
    expect(codeOf(() => assertKnownParams(parseQuery('key=a'), new Set(['key'])))).toBeUndefined();
  });
});
