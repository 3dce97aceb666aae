import { describe, expect, it } from 'vitest';
import { ReadRepairQueue } from '../../../src/core/cluster/read-repair.js';

describe('ReadRepairQueue', () => {
  it('sends every job with at most `workers` at a time and counts results', async () => {
    let active = 0;
    let peak = 0;
    const sent: number[] = [];
    const results: string[] = [];
    const q = new ReadRepairQueue<number>({
      workers: 2,
      send: async (n) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 1));
        active--;
        if (n === 3) throw new Error('boom');
        sent.push(n);
      },
      onResult: (r) => results.push(r),
    });
    for (let i = 0; i < 6; i++) expect(q.offer(i)).toBe(true);
    await q.drained();
    expect(sent.sort()).toEqual([0, 1, 2, 4, 5]);
    expect(peak).toBe(2);
    expect(results.filter((r) => r === 'failed')).toHaveLength(1);
    expect(results.filter((r) => r === 'sent')).toHaveLength(5);
  });

  it('drops jobs offered to a full queue', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const results: string[] = [];
    const q = new ReadRepairQueue<number>({ capacity: 2, workers: 1, send: () => gate, onResult: (r) => results.push(r) });
    expect(q.offer(1)).toBe(true); // taken by the worker at once
    await Promise.resolve();
    expect(q.offer(2)).toBe(true);
    expect(q.offer(3)).toBe(true);
    expect(q.offer(4)).toBe(false);
    expect(results).toEqual(['dropped']);
    release();
    await q.drained();
    expect(results.filter((r) => r === 'sent')).toHaveLength(3);
  });

  it('sends a synchronous job at once, past a full queue, and counts it like a queued one', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const results: string[] = [];
    const q = new ReadRepairQueue<number>({
      capacity: 1,
      workers: 1,
      send: (n) => (n === 9 ? Promise.reject(new Error('replica down')) : n === 1 ? gate : Promise.resolve()),
      onResult: (r) => results.push(r),
    });
    expect(q.offer(1)).toBe(true);
    await Promise.resolve();
    expect(q.offer(2)).toBe(true); // the queue is full now
    expect(await q.sendNow(3)).toBe('sent');
    expect(await q.sendNow(9)).toBe('failed');
    expect(results).toEqual(['sent', 'failed']);
    expect(q.length).toBe(1);
    release();
    await q.drained();
    expect(results.filter((r) => r === 'sent')).toHaveLength(3);
  });
});
