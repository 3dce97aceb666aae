import { describe, expect, it } from 'vitest';
import { assertJsonContentType, decodeJsonObject } from '../../../src/core/http/json-body.js';
import { PairdbError } from '../../../src/core/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as PairdbError).code;
  }
}

describe('assertJsonContentType', () => {
  it('accepts application/json in any case, with parameters, and an absent header', () => {
    for (const ok of [undefined, 'application/json', 'Application/JSON', 'application/json; charset=utf-8', ' application/json ;x=y']) {
      expect(codeOf(() => assertJsonContentType(ok))).toBeUndefined();
    }
  });

  it('answers UNSUPPORTED_MEDIA_TYPE for anything else', () => {
    for (const bad of ['text/plain', 'application/jsonx', 'application/x-www-form-urlencoded', '', 'json']) {
      expect(codeOf(() => assertJsonContentType(bad))).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });
});

describe('decodeJsonObject', () => {
  it('parses a UTF-8 JSON object', () => {
    expect(decodeJsonObject(Buffer.from('{"key":"ü","n":1}'))).toEqual({ key: 'ü', n: 1 });
  });

  it('keeps __proto__ as an own member, not a prototype', () => {
    const o = decodeJsonObject(Buffer.from('{"__proto__":{"polluted":1}}'));
    expect(Object.keys(o)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('rejects a BOM, invalid UTF-8, invalid JSON and non-objects with INVALID_REQUEST', () => {
    const bad = [
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]),
      Buffer.from([0x7b, 0x22, 0x6b, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
      Buffer.from('{"a":'),
      Buffer.from('[]'),
      Buffer.from('"x"'),
      Buffer.from('null'),
      Buffer.from('1'),
      Buffer.from(''),
    ];
    for (const b of bad) expect(codeOf(() => decodeJsonObject(b)), b.toString('hex')).toBe('INVALID_REQUEST');
  });
});
