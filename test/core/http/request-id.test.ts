import { describe, expect, it } from 'vitest';
import { pickRequestId } from '../../../src/core/http/request-id.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('pickRequestId', () => {
  it('keeps an inbound id of 1-128 characters of [A-Za-z0-9._-]', () => {
    expect(pickRequestId('r-17')).toBe('r-17');
    expect(pickRequestId('A.b_C-9')).toBe('A.b_C-9');
    expect(pickRequestId('x'.repeat(128))).toBe('x'.repeat(128));
  });

  it('makes a lowercase UUIDv4 for absent, empty, long, repeated or ill-formed ids', () => {
    for (const bad of [undefined, '', 'x'.repeat(129), 'has space', 'ü', 'a/b', ['a', 'b']]) {
      expect(pickRequestId(bad as string | undefined)).toMatch(UUID_V4);
    }
  });
});
