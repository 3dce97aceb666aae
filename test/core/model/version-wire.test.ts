import { describe, expect, it } from 'vitest';
import { clockFromWire, versionFromWire, versionToWire } from '../../../src/core/model/version-wire.js';
import type * as pb from '../../../src/core/rpc/types.js';
import { ver } from '../engine/helpers.js';

function wire(v: pb.Version): pb.Version__Output {
  return {
    clock: { entries: (v.clock?.entries ?? []).map((e) => ({ actor: e.actor ?? '', counter: String(e.counter) })) },
    value: Buffer.from(v.value as Buffer),
    tombstone: v.tombstone ?? false,
    timestamp_ms: String(v.timestamp_ms),
    writer_id: v.writer_id ?? '',
    write_id: Buffer.from(v.write_id as Buffer),
    lww: v.lww ?? false,
  };
}

const code = (f: () => unknown) => {
  try {
    f();
    return 'OK';
  } catch (e) {
    return (e as { code?: string }).code;
  }
};

describe('version wire conversion', () => {
  it('round-trips a version', () => {
    const v = ver({ writer: 'c2', clock: { c1: 7 }, value: '"x"', writeId: 'abc', lww: true });
    const back = versionFromWire(wire(versionToWire(v)));
    expect(back).toEqual(v);
  });

  it('sorts wire clocks by actor bytes and drops zero counters', () => {
    const c = clockFromWire({ entries: [{ actor: 'b', counter: '2' }, { actor: 'a', counter: '1' }, { actor: 'z', counter: '0' }] });
    expect(c).toEqual([{ actor: 'a', counter: 1 }, { actor: 'b', counter: 2 }]);
  });

  it('rejects out-of-limit clocks and versions with INVALID_REQUEST', () => {
    const good = wire(versionToWire(ver({})));
    expect(code(() => clockFromWire({ entries: [{ actor: 'a', counter: '9007199254740992' }] }))).toBe('INVALID_REQUEST');
    expect(code(() => clockFromWire({ entries: [{ actor: '', counter: '1' }] }))).toBe('INVALID_REQUEST');
    expect(code(() => clockFromWire({ entries: [{ actor: 'x'.repeat(129), counter: '1' }] }))).toBe('INVALID_REQUEST');
    expect(code(() => clockFromWire({ entries: [{ actor: 'a', counter: '1' }, { actor: 'a', counter: '2' }] }))).toBe('INVALID_REQUEST');
    expect(code(() => versionFromWire({ ...good, clock: { entries: [] } }))).toBe('INVALID_REQUEST');
    expect(code(() => versionFromWire({ ...good, writer_id: '' }))).toBe('INVALID_REQUEST');
    expect(code(() => versionFromWire({ ...good, write_id: Buffer.alloc(256) }))).toBe('INVALID_REQUEST');
    expect(code(() => versionFromWire({ ...good, tombstone: true }))).toBe('INVALID_REQUEST');
    expect(code(() => versionFromWire({ ...good, value: Buffer.alloc(8 * 1024 * 1024 + 1) }))).toBe('INVALID_REQUEST');
    expect(code(() => versionFromWire(good))).toBe('OK');
  });
});
