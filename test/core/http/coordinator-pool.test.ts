import { describe, expect, it } from 'vitest';
import { CoordinatorPool, type PoolClient } from '../../../src/core/http/coordinator-pool.js';
import { PairdbError } from '../../../src/core/errors.js';
import type { CallOptions } from '../../../src/core/rpc/pipe.js';

class FakeClient implements PoolClient {
  calls = 0;
  serving = true;
  closed = false;
  constructor(readonly address: string) {}
  async healthCheck(_o: CallOptions): Promise<string> {
    if (!this.serving) throw new PairdbError('SERVICE_UNAVAILABLE', 'down');
    return 'SERVING';
  }
  close(): void {
    this.closed = true;
  }
}

const OPTS = { retries: 2, probeIntervalMs: 60_000, probeTimeoutMs: 1000, ejectMs: 10_000, timeoutMs: 8000 };
const FAR = Date.now() + 60_000;

describe('CoordinatorPool', () => {
  it('round-robins over the coordinators', async () => {
    const cs = [new FakeClient('a:1'), new FakeClient('b:1'), new FakeClient('c:1')];
    const pool = new CoordinatorPool(cs, OPTS);
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(await pool.call('X', true, FAR, async (c) => c.address));
    expect(seen).toEqual(['a:1', 'b:1', 'c:1', 'a:1', 'b:1', 'c:1']);
  });

  it('retries reads on another coordinator when one is unavailable', async () => {
    const cs = [new FakeClient('a:1'), new FakeClient('b:1')];
    const pool = new CoordinatorPool(cs, OPTS);
    const r = await pool.call('ReadKeyValue', true, FAR, async (c) => {
      c.calls++;
      if (c.address === 'a:1') throw new PairdbError('SERVICE_UNAVAILABLE', 'pipe to a:1 failed', { outcome: 'unknown' });
      return 'ok';
    });
    expect(r).toBe('ok');
    expect(cs.map((c) => c.calls)).toEqual([1, 1]);
  });

  it('retries a mutation only when it provably never left (outcome not_applied)', async () => {
    const cs = [new FakeClient('a:1'), new FakeClient('b:1')];
    const pool = new CoordinatorPool(cs, OPTS);
    await expect(
      pool.call('WriteKeyValue', false, FAR, async (c) => {
        c.calls++;
        throw new PairdbError('SERVICE_UNAVAILABLE', 'pipe to 10.0.0.1:50051 broke', { outcome: 'unknown' });
      }),
    ).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', outcome: 'unknown' });
    expect(cs[0]!.calls + cs[1]!.calls).toBe(1);

    const seen: string[] = [];
    const r = await pool.call('WriteKeyValue', false, FAR, async (c) => {
      seen.push(c.address);
      if (seen.length === 1) throw new PairdbError('SERVICE_UNAVAILABLE', 'reconnecting', { outcome: 'not_applied' });
      return 'written';
    });
    expect(r).toBe('written');
    expect(new Set(seen).size).toBe(2);
  });

  it('never retries other errors, and hides peer addresses in 5xx messages', async () => {
    const cs = [new FakeClient('a:1'), new FakeClient('b:1')];
    const pool = new CoordinatorPool(cs, OPTS);
    let n = 0;
    await expect(
      pool.call('ReadKeyValue', true, FAR, async () => {
        n++;
        throw new PairdbError('KEY_NOT_FOUND', 'key not found');
      }),
    ).rejects.toMatchObject({ code: 'KEY_NOT_FOUND', message: 'key not found' });
    expect(n).toBe(1);
    const err = await pool
      .call('ReadKeyValue', true, FAR, async () => {
        throw new PairdbError('TIMEOUT', 'no answer from 10.1.2.3:50051 within the deadline');
      })
      .catch((e: PairdbError) => e);
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).not.toContain('10.1.2.3');
  });

  it('stops retrying after `retries` extra coordinators', async () => {
    const cs = [new FakeClient('a:1'), new FakeClient('b:1'), new FakeClient('c:1'), new FakeClient('d:1')];
    const pool = new CoordinatorPool(cs, { ...OPTS, retries: 1 });
    let n = 0;
    await expect(
      pool.call('ReadKeyValue', true, FAR, async () => {
        n++;
        throw new PairdbError('SERVICE_UNAVAILABLE', 'down');
      }),
    ).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(n).toBe(2);
  });

  it('probes health, prefers healthy coordinators and reports them', async () => {
    const cs = [new FakeClient('a:1'), new FakeClient('b:1')];
    cs[0]!.serving = false;
    const changes: Array<[string, boolean]> = [];
    const pool = new CoordinatorPool(cs, { ...OPTS, onHealth: (a, h) => changes.push([a, h]) });
    expect(pool.probed).toBe(false);
    await pool.startProbing();
    expect(pool.probed).toBe(true);
    expect(pool.healthyCount).toBe(1);
    expect(pool.health()).toEqual([
      { address: 'a:1', healthy: false },
      { address: 'b:1', healthy: true },
    ]);
    expect(changes).toEqual([
      ['a:1', false],
      ['b:1', true],
    ]);
    for (let i = 0; i < 4; i++) expect(await pool.call('X', true, FAR, async (c) => c.address)).toBe('b:1');
    pool.close();
    expect(cs.every((c) => c.closed)).toBe(true);
  });
});
