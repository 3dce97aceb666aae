import { describe, expect, it } from 'vitest';
import { InProcessIdempotency, requestHash, writeIdOf } from '../../../src/core/cluster/idempotency.js';
import { clockFrom } from '../../../src/core/model/vector-clock.js';

describe('requestHash', () => {
  it('tells an absent context from an empty one and ignores nothing else', () => {
    const v = Buffer.from('"x"');
    const base = requestHash('put', 'CONSISTENCY_QUORUM', null, v);
    expect(requestHash('put', 'CONSISTENCY_QUORUM', [], v)).not.toBe(base);
    expect(requestHash('put', 'CONSISTENCY_ALL', null, v)).not.toBe(base);
    expect(requestHash('delete', 'CONSISTENCY_QUORUM', null, v)).not.toBe(base);
    expect(requestHash('put', 'CONSISTENCY_QUORUM', null, Buffer.from('"y"'))).not.toBe(base);
    expect(requestHash('put', 'CONSISTENCY_QUORUM', clockFrom({ b: 1, a: 2 }), v)).toBe(requestHash('put', 'CONSISTENCY_QUORUM', clockFrom({ a: 2, b: 1 }), v));
  });
});

describe('writeIdOf', () => {
  it('is the first 16 bytes of SHA-256 of the idempotency key', () => {
    expect(writeIdOf('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223');
  });
});

describe('InProcessIdempotency', () => {
  const far = (): number => Date.now() + 10_000;

  it('runs the first request and replays its response to a duplicate', async () => {
    const idem = new InProcessIdempotency<{ n: number }>();
    const a = await idem.acquire('s', 'h', far());
    expect(a.kind).toBe('new');
    idem.complete('s', (a as { owner: number }).owner, { n: 1 });
    expect(await idem.acquire('s', 'h', far())).toEqual({ kind: 'done', response: { n: 1 } });
  });

  it('refuses another request hash with IDEMPOTENCY_KEY_CONFLICT', async () => {
    const idem = new InProcessIdempotency<object>();
    await idem.acquire('s', 'h1', far());
    await expect(idem.acquire('s', 'h2', far())).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_CONFLICT' });
  });

  it('lets a waiter replay the original once it completes, or run itself after a failure', async () => {
    const idem = new InProcessIdempotency<{ n: number }>();
    const first = (await idem.acquire('s', 'h', far())) as { owner: number };
    const waiting = idem.acquire('s', 'h', far());
    idem.complete('s', first.owner, { n: 2 });
    expect(await waiting).toEqual({ kind: 'done', response: { n: 2 } });

    const other = (await idem.acquire('t', 'h', far())) as { owner: number };
    const waiter = idem.acquire('t', 'h', far());
    idem.release('t', other.owner);
    expect((await waiter).kind).toBe('new');
  });

  it('answers IDEMPOTENCY_KEY_IN_USE when the deadline ends before the original finishes', async () => {
    const idem = new InProcessIdempotency<object>();
    await idem.acquire('s', 'h', far());
    await expect(idem.acquire('s', 'h', Date.now() + 520)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE' });
    await expect(idem.acquire('s', 'h', Date.now() + 100)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE' });
  });

  it('takes over a lapsed lock and keeps the number of completed records bounded', async () => {
    let now = 1000;
    const idem = new InProcessIdempotency<object>({ lockMs: 50, maxEntries: 3, nowMs: () => now });
    await idem.acquire('lapsed', 'h', 1e12);
    now += 60;
    expect((await idem.acquire('lapsed', 'h', 1e12)).kind).toBe('new');
    for (let i = 0; i < 5; i++) {
      const a = (await idem.acquire(`k${i}`, 'h', 1e12)) as { owner: number };
      idem.complete(`k${i}`, a.owner, {});
    }
    expect(idem.size).toBeLessThanOrEqual(4); // 3 + the in-flight one
  });
});
