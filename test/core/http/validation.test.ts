import { describe, expect, it } from 'vitest';
import {
  assertKey,
  assertKnownMembers,
  assertTenantId,
  isHost,
  parseClock,
  parseClockHeader,
  parseConsistency,
  parseIdempotencyKey,
  resolveContext,
  serializeValue,
} from '../../../src/core/http/validation.js';
import { PairdbError } from '../../../src/core/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as PairdbError).code;
  }
}

describe('assertKey', () => {
  it('accepts 1-1024 UTF-8 bytes of well-formed text without Cc', () => {
    for (const k of ['k', 'user:42', 'x'.repeat(1024), 'é'.repeat(512), '😀'.repeat(256), ' spaced ', 'ÿ']) {
      expect(assertKey(k)).toBe(k);
    }
  });

  it('rejects empty, oversized, ill-formed, control-bearing and non-string keys', () => {
    const bad: unknown[] = [
      '',
      'x'.repeat(1025),
      'é'.repeat(513),
      '😀'.repeat(256) + 'x',
      '\ud800',
      'a\udc00b',
      'a\u0000b',
      'tab\t',
      '\u007f',
      '\u0085',
      '\u009f',
      42,
      null,
      ['k'],
    ];
    for (const k of bad) expect(codeOf(() => assertKey(k)), JSON.stringify(k)).toBe('INVALID_REQUEST');
  });
});

describe('assertTenantId', () => {
  it('accepts 1-255 characters of [A-Za-z0-9._-] and rejects the rest', () => {
    expect(assertTenantId('t-1a2b')).toBe('t-1a2b');
    expect(assertTenantId('A.b_c-'.repeat(42) + 'abc')).toHaveLength(255);
    for (const bad of ['', 'x'.repeat(256), 'a b', 'a/b', 'ü', 7]) {
      expect(codeOf(() => assertTenantId(bad)), String(bad)).toBe('INVALID_REQUEST');
    }
  });
});

describe('parseConsistency', () => {
  it('takes the exact lowercase names and defaults to quorum', () => {
    expect(parseConsistency('one')).toBe('one');
    expect(parseConsistency('all')).toBe('all');
    expect(parseConsistency(undefined)).toBe('quorum');
    expect(parseConsistency(null)).toBe('quorum');
    for (const bad of ['QUORUM', 'Quorum', 'two', '', 1]) expect(codeOf(() => parseConsistency(bad))).toBe('INVALID_REQUEST');
  });
});

describe('parseClock', () => {
  it('sorts entries by actor and accepts counters 0..2^53-1', () => {
    expect(parseClock({ b: 2, a: 0, '10': Number.MAX_SAFE_INTEGER, '9': 1 }).entries).toEqual([
      { actor: '10', counter: Number.MAX_SAFE_INTEGER },
      { actor: '9', counter: 1 },
      { actor: 'a', counter: 0 },
      { actor: 'b', counter: 2 },
    ]);
    expect(parseClock({}).entries).toEqual([]);
  });

  it('rejects bad counters, bad actors, too many entries and non-objects', () => {
    const many: Record<string, number> = {};
    for (let i = 0; i < 65; i++) many[`c${i}`] = 1;
    const sixtyFour: Record<string, number> = {};
    for (let i = 0; i < 64; i++) sixtyFour[`c${i}`] = 1;
    expect(parseClock(sixtyFour).entries).toHaveLength(64);
    for (const bad of [
      { a: -1 },
      { a: 1.5 },
      { a: '1' },
      { a: null },
      { a: 2 ** 53 },
      { 'a b': 1 },
      { ['x'.repeat(129)]: 1 },
      { '': 1 },
      many,
      [],
      'x',
      null,
    ]) {
      expect(codeOf(() => parseClock(bad)), JSON.stringify(bad)).toBe('INVALID_REQUEST');
    }
  });
});

describe('X-Vector-Clock and the body member', () => {
  it('parses the header as the same JSON and enforces 8 KiB', () => {
    expect(parseClockHeader('{"c1":3}')!.entries).toEqual([{ actor: 'c1', counter: 3 }]);
    expect(parseClockHeader(undefined)).toBeUndefined();
    expect(codeOf(() => parseClockHeader('{"c1":'))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseClockHeader(`{"c1":1,"pad":${'1'.repeat(8200)}}`))).toBe('INVALID_REQUEST');
  });

  it('accepts both when equal in any order and rejects them when unequal', () => {
    expect(resolveContext({ a: 1, b: 2 }, '{"b":2,"a":1}')!.entries).toHaveLength(2);
    expect(codeOf(() => resolveContext({ a: 1 }, '{"a":2}'))).toBe('INVALID_REQUEST');
    expect(codeOf(() => resolveContext({}, '{"a":1}'))).toBe('INVALID_REQUEST');
    expect(resolveContext(null, undefined)).toBeUndefined();
    expect(resolveContext(undefined, '{}')!.entries).toEqual([]);
  });
});

describe('parseIdempotencyKey', () => {
  it('accepts 1-255 characters of 0x21-0x7E', () => {
    expect(parseIdempotencyKey('order-7781')).toBe('order-7781');
    expect(parseIdempotencyKey('~'.repeat(255))).toHaveLength(255);
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    for (const bad of ['', 'a b', '~'.repeat(256), 'é', 'a\tb']) {
      expect(codeOf(() => parseIdempotencyKey(bad))).toBe('INVALID_REQUEST');
    }
  });
});

describe('serializeValue', () => {
  it('stores the compact serialization of the parsed value', () => {
    expect(serializeValue({ name: 'Ada', tags: ['x'] }).toString()).toBe('{"name":"Ada","tags":["x"]}');
    expect(serializeValue(null).toString()).toBe('null');
    expect(serializeValue(1.0).toString()).toBe('1');
    expect(serializeValue('é😀').toString('utf8')).toBe('"é😀"');
  });

  it('answers PAYLOAD_TOO_LARGE above 1 MiB serialized (counting UTF-8 bytes and quotes)', () => {
    expect(serializeValue('x'.repeat(1_048_574))).toHaveLength(1_048_576);
    expect(codeOf(() => serializeValue('x'.repeat(1_048_575)))).toBe('PAYLOAD_TOO_LARGE');
    expect(codeOf(() => serializeValue('é'.repeat(524_288)))).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses numbers outside the double range instead of storing null', () => {
    expect(codeOf(() => serializeValue({ a: [JSON.parse('1e400')] }))).toBe('INVALID_REQUEST');
    expect(codeOf(() => serializeValue(JSON.parse('-1e400')))).toBe('INVALID_REQUEST');
  });

  it('accepts nesting up to 512 levels and answers 400 (not a stack overflow) beyond', () => {
    const nest = (d: number): unknown => JSON.parse('['.repeat(d) + ']'.repeat(d));
    expect(serializeValue(nest(512)).length).toBe(1024);
    expect(codeOf(() => serializeValue(nest(513)))).toBe('INVALID_REQUEST');
    expect(codeOf(() => serializeValue(JSON.parse('{"a":'.repeat(4000) + '1' + '}'.repeat(4000))))).toBe('INVALID_REQUEST');
  });
});

describe('assertKnownMembers', () => {
  it('rejects undefined members, __proto__ included', () => {
    const allowed = new Set(['key']);
    expect(codeOf(() => assertKnownMembers({ key: 'a' }, allowed))).toBeUndefined();
    expect(codeOf(() => assertKnownMembers({ key: 'a', extra: 1 }, allowed))).toBe('INVALID_REQUEST');
    expect(codeOf(() => assertKnownMembers(JSON.parse('{"__proto__":1}'), allowed))).toBe('INVALID_REQUEST');
  });
});

describe('isHost', () => {
  it('accepts names and IPv6 literals without brackets', () => {
    for (const h of ['127.0.0.1', 'storage-4.example.com', '::1', 'fe80::1']) expect(isHost(h), h).toBe(true);
    for (const h of ['', '[::1]', 'a_b', 'x'.repeat(254), 'a:b', 5]) expect(isHost(h), String(h)).toBe(false);
  });
});
