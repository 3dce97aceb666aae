import { describe, expect, it } from 'vitest';
import { checkHost, checkIdempotencyKey, checkKey, checkNodeId, checkTenantId, checkValue, parseContext } from '../../../src/core/cluster/validation.js';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

describe('client-path validation', () => {
  it('accepts tenant ids of [A-Za-z0-9._-]{1,255} only', () => {
    expect(code(() => checkTenantId('acme.prod-1_x'))).toBeUndefined();
    expect(code(() => checkTenantId('a'.repeat(255)))).toBeUndefined();
    for (const bad of ['', 'a:b', 'a b', 'ä', 'a'.repeat(256)]) expect(code(() => checkTenantId(bad))).toBe('INVALID_REQUEST');
  });

  it('accepts keys of 1..1024 UTF-8 bytes without control characters', () => {
    expect(code(() => checkKey('user:42'))).toBeUndefined();
    expect(code(() => checkKey('é'.repeat(512)))).toBeUndefined();
    expect(code(() => checkKey('é'.repeat(513)))).toBe('INVALID_REQUEST');
    for (const bad of ['', 'a\u0000b', 'tab\there', '\u007f', '\u0085', 'k'.repeat(1025)]) expect(code(() => checkKey(bad))).toBe('INVALID_REQUEST');
    expect(code(() => checkKey('\u00a0 ok 😀'))).toBeUndefined();
  });

  it('refuses an empty value and a value above 1 MiB with PAYLOAD_TOO_LARGE', () => {
    expect(code(() => checkValue(Buffer.from('1')))).toBeUndefined();
    expect(code(() => checkValue(Buffer.alloc(1024 * 1024, 0x31)))).toBeUndefined();
    expect(code(() => checkValue(Buffer.alloc(1024 * 1024 + 1, 0x31)))).toBe('PAYLOAD_TOO_LARGE');
    expect(code(() => checkValue(Buffer.alloc(0)))).toBe('INVALID_REQUEST');
  });

  it('limits idempotency keys to 255 characters', () => {
    expect(code(() => checkIdempotencyKey('k'.repeat(255)))).toBeUndefined();
    expect(code(() => checkIdempotencyKey('k'.repeat(256)))).toBe('INVALID_REQUEST');
  });

  it('keeps an absent context null and an empty one empty, and bounds entries and counters', () => {
    const now = 1_764_000_000_000;
    expect(parseContext(null, now)).toBeNull();
    expect(parseContext({ entries: [] }, now)).toEqual([]);
    expect(parseContext({ entries: [{ actor: 'c2', counter: '5' }, { actor: 'c1', counter: '7' }] }, now)).toEqual([
      { actor: 'c1', counter: 7 },
      { actor: 'c2', counter: 5 },
    ]);
    const many = { entries: Array.from({ length: 65 }, (_, i) => ({ actor: `a${i}`, counter: '1' })) };
    expect(code(() => parseContext(many, now))).toBe('INVALID_REQUEST');
    const ahead = (now + 3_600_000) * 1000;
    expect(code(() => parseContext({ entries: [{ actor: 'c1', counter: String(ahead) }] }, now))).toBeUndefined();
    expect(code(() => parseContext({ entries: [{ actor: 'c1', counter: String(ahead + 1) }] }, now))).toBe('INVALID_REQUEST');
    expect(code(() => parseContext({ entries: [{ actor: '', counter: '1' }] }, now))).toBe('INVALID_REQUEST');
  });

  it('checks node ids and hosts of AddStorageNode', () => {
    expect(code(() => checkNodeId('storage-4'))).toBeUndefined();
    expect(code(() => checkNodeId('a'.repeat(129)))).toBe('INVALID_REQUEST');
    expect(code(() => checkHost('db-1.example.com'))).toBeUndefined();
    expect(code(() => checkHost('::1'))).toBeUndefined();
    expect(code(() => checkHost('[::1]'))).toBe('INVALID_REQUEST');
    expect(code(() => checkHost('a_b'))).toBe('INVALID_REQUEST');
  });
});
