import { describe, expect, it } from 'vitest';
import { InProcessIdempotency, pollDelayMs, requestHash, waitLimit, writeIdOf } from '../../../src/core/cluster/idempotency.js';
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

  /** A fake clock: `sleep` advances it and records each wait. */
  function fakeTime(start = 1_000_000) {
    const t = { now: start, sleeps: [] as number[] };
    const opts = {
      nowMs: () => t.now,
      sleep: async (ms: number) => {
        t.sleeps.push(ms);
        t.now += ms;
      },
    };
    return { t, opts };
  }

  it('polls a running original 50, 100, then every 200 ms, and answers IN_USE at its deadline − 500 ms', async () => {
    const { t, opts } = fakeTime();
    const idem = new InProcessIdempotency<object>(opts);
    await idem.acquire('s', 'h', t.now + 60_000);
    const deadline = t.now + 1_600; // may wait until +1100
    await expect(idem.acquire('s', 'h', deadline)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE', retryAfterSeconds: 1 });
    expect(t.sleeps).toEqual([50, 100, 200, 200, 200, 200, 150]);
    expect(t.now).toBe(deadline - 500);
  });

  it('answers IN_USE at once when the deadline leaves less than 500 ms', async () => {
    const { t, opts } = fakeTime();
    const idem = new InProcessIdempotency<object>(opts);
    await idem.acquire('s', 'h', t.now + 60_000);
    await expect(idem.acquire('s', 'h', t.now + 500)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE' });
    expect(t.sleeps).toEqual([]);
  });

  it('takes over when the original lock lapses (30 s) before the waiter gives up', async () => {
    const { t, opts } = fakeTime();
    const idem = new InProcessIdempotency<{ n: number }>(opts);
    const start = t.now;
    const first = (await idem.acquire('s', 'h', start + 120_000)) as { owner: number };
    const second = await idem.acquire('s', 'h', start + 120_000);
    expect(second.kind).toBe('new');
    expect(t.now).toBe(start + 30_000);
    // The hung original finishing late changes nothing: the record belongs to the second execution now.
    idem.complete('s', first.owner, { n: 1 });
    idem.complete('s', (second as { owner: number }).owner, { n: 2 });
    expect(await idem.acquire('s', 'h', t.now + 10_000)).toEqual({ kind: 'done', response: { n: 2 } });
  });

  it('wakes a waiter as soon as the original completes, without waiting out the poll delay', async () => {
    const idem = new InProcessIdempotency<{ n: number }>({ sleep: () => new Promise(() => undefined) }); // polls never end
    const first = (await idem.acquire('s', 'h', Date.now() + 60_000)) as { owner: number };
    const waiter = idem.acquire('s', 'h', Date.now() + 60_000);
    await Promise.resolve();
    idem.complete('s', first.owner, { n: 3 });
    expect(await waiter).toEqual({ kind: 'done', response: { n: 3 } });
  });

  it('forgets a failed original so its retry runs, and replays a completed one only for 24 h', async () => {
    const { t, opts } = fakeTime();
    const idem = new InProcessIdempotency<{ n: number }>(opts);
    const failed = (await idem.acquire('s', 'h', t.now + 10_000)) as { owner: number };
    idem.release('s', failed.owner);
    const retry = (await idem.acquire('s', 'h', t.now + 10_000)) as { kind: string; owner: number };
    expect(retry.kind).toBe('new');
    idem.complete('s', retry.owner, { n: 1 });
    t.now += 86_400_000 - 1;
    expect((await idem.acquire('s', 'h', t.now + 10_000)).kind).toBe('done');
    expect((await idem.acquire('s', 'other-hash', t.now + 10_000).catch((e: { code: string }) => e.code))).toBe('IDEMPOTENCY_KEY_CONFLICT');
    t.now += 1;
    // Expired: the key is free again, even for another request.
    expect((await idem.acquire('s', 'other-hash', t.now + 10_000)).kind).toBe('new');
  });

  it('drops expired records without being asked for them, and evicts the oldest completed ones past the bound', async () => {
    const { t, opts } = fakeTime();
    const idem = new InProcessIdempotency<object>({ ...opts, maxEntries: 3 });
    for (let i = 0; i < 3; i++) {
      const a = (await idem.acquire(`old${i}`, 'h', t.now + 10_000)) as { owner: number };
      idem.complete(`old${i}`, a.owner, { i });
    }
    expect(idem.size).toBe(3);
    t.now += 86_400_000;
    await idem.acquire('fresh', 'h', t.now + 10_000);
    expect(idem.size).toBe(1); // the three expired ones went; only the in-flight one is left
    for (let i = 0; i < 5; i++) {
      const a = (await idem.acquire(`k${i}`, 'h', t.now + 10_000)) as { owner: number };
      idem.complete(`k${i}`, a.owner, { i });
    }
    expect(idem.size).toBe(4); // 3 completed + 1 in flight (never evicted)
    expect((await idem.acquire('k0', 'h', t.now + 10_000)).kind).toBe('new'); // evicted first
    expect((await idem.acquire('k4', 'h', t.now + 10_000)).kind).toBe('done');
  });
});

describe('poll schedule', () => {
  it('grows from 50 ms to 200 ms and stays there', () => {
    expect([0, 1, 2, 3, 10].map(pollDelayMs)).toEqual([50, 100, 200, 200, 200]);
  });
  it('waits at most the lock life and at most the deadline − 500 ms', () => {
    expect(waitLimit(30_000, 10_000)).toBe(9_500);
    expect(waitLimit(5_000, 10_000)).toBe(5_000);
  });
});
