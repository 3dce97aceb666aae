import { describe, expect, it } from 'vitest';
import { checkHistory, type HistoryOp } from '../../../src/core/cluster/history-checker.js';

const put = (key: string, value: string, start: number, end: number, result: HistoryOp['result'] = 'ok', client = 'c1'): HistoryOp => ({
  client,
  op: 'put',
  key,
  value,
  start,
  end,
  result,
});
const get = (key: string, value: string | null, start: number, end: number, client = 'c2'): HistoryOp => ({ client, op: 'get', key, value, start, end, result: 'ok' });
const del = (key: string, start: number, end: number, result: HistoryOp['result'] = 'ok', found = true): HistoryOp => ({
  client: 'c1',
  op: 'delete',
  key,
  start,
  end,
  result,
  found,
});
const final = (key: string, value: string | null, at = 1000): HistoryOp => ({ client: 'final', op: 'get', key, value, start: at, end: at + 1, result: 'ok', final: true });

describe('checkHistory', () => {
  it('accepts a correct history: reads see the latest acked write or a later attempted one', () => {
    const h = [
      put('a', 'c1:1', 0, 10),
      get('a', 'c1:1', 11, 12),
      put('a', 'c1:2', 13, 20, 'unknown'),
      get('a', 'c1:1', 21, 22), // the unknown write may not have landed
      put('a', 'c1:3', 23, 30),
      get('a', 'c1:3', 25, 29), // concurrent with the write: either is fine
      del('a', 31, 40),
      get('a', null, 41, 42),
      put('a', 'c1:5', 43, 50),
      final('a', 'c1:5'),
      final('never-written', null),
    ];
    const r = checkHistory(h);
    expect(r.violations).toEqual([]);
    expect(r.ops).toBe(9);
    expect(r.ok).toBe(8);
    expect(r.unknown).toBe(1);
    expect(r.okPercent).toBeCloseTo((8 / 9) * 100);
    expect(r.finalReads).toBe(2);
    expect(r.lostAckedWrites).toBe(0);
    expect(r.staleReads).toBe(0);
  });

  it('accepts a final value from an unknown write newer than the last ack, and a concurrent read of the old value', () => {
    const h = [put('a', 'c1:1', 0, 10), get('a', 'c1:1', 5, 15), put('a', 'c1:2', 11, 20, 'unknown'), final('a', 'c1:2')];
    expect(checkHistory(h).violations).toEqual([]);
  });

  it('finds a lost acked write: the final read returns an older value', () => {
    const h = [put('a', 'c1:1', 0, 10), put('a', 'c1:2', 11, 20), put('a', 'c1:3', 21, 30), final('a', 'c1:1')];
    const r = checkHistory(h);
    expect(r.violations.map((v) => v.kind)).toEqual(['lost-write']);
    expect(r.lostAckedWrites).toBe(2);
  });

  it('finds a lost acked write: the final read says not found with no delete', () => {
    const r = checkHistory([put('a', 'c1:1', 0, 10), final('a', null)]);
    expect(r.violations.map((v) => v.kind)).toEqual(['lost-write']);
    expect(r.lostAckedWrites).toBe(1);
  });

  it('accepts "not found" after a delete whose outcome is unknown, not after one answered not_applied', () => {
    expect(checkHistory([put('a', 'c1:1', 0, 10), del('a', 11, 20, 'unknown'), final('a', null)]).violations).toEqual([]);
    expect(checkHistory([put('a', 'c1:1', 0, 10), del('a', 11, 20, 'fail'), final('a', null)]).lostAckedWrites).toBe(1);
  });

  it('a delete answered "not found" wrote nothing: an older unknown put may surface after it, but it is checked as a read', () => {
    // c1:1's outcome was unknown; the delete found nothing; the put landed later (a hint) — allowed.
    expect(checkHistory([put('a', 'c1:1', 0, 10, 'unknown'), del('a', 11, 20, 'ok', false), final('a', 'c1:1')]).violations).toEqual([]);
    // The delete's "not found" after an acked put is itself a stale read.
    const r = checkHistory([put('a', 'c1:1', 0, 10), del('a', 11, 20, 'ok', false), final('a', 'c1:1')]);
    expect(r.violations.map((v) => v.kind)).toEqual(['stale-read']);
    // Answered "not found" on a retry after an unknown attempt: that attempt may have written the tombstone.
    const retried = { ...del('a', 11, 20, 'ok', false), mayHaveWritten: true };
    expect(checkHistory([put('a', 'c1:1', 0, 10), retried, get('a', null, 21, 22), final('a', null)]).violations).toEqual([]);
    expect(checkHistory([put('a', 'c1:1', 0, 10), del('a', 11, 20, 'ok', false), get('a', null, 21, 22)]).staleReads).toBe(2);
  });

  it('finds a stale read: a read started after an acked write returns the previous value', () => {
    const h = [put('a', 'c1:1', 0, 10), put('a', 'c1:2', 11, 20), get('a', 'c1:1', 21, 22)];
    const r = checkHistory(h);
    expect(r.violations.map((v) => v.kind)).toEqual(['stale-read']);
    expect(r.staleReads).toBe(1);
    expect(r.lostAckedWrites).toBe(0);
  });

  it('finds a stale read: "not found" after an acked put, and a value older than an acked delete', () => {
    expect(checkHistory([put('a', 'c1:1', 0, 10), get('a', null, 11, 12)]).staleReads).toBe(1);
    expect(checkHistory([put('a', 'c1:1', 0, 10), del('a', 11, 20), get('a', 'c1:1', 21, 22)]).staleReads).toBe(1);
    // A put after the delete, acked before the read: "not found" is stale again.
    expect(checkHistory([put('a', 'c1:1', 0, 10), del('a', 11, 20), put('a', 'c1:3', 21, 30), get('a', null, 31, 32)]).staleReads).toBe(1);
  });

  it('finds reads of values never written, written only later, or answered not_applied', () => {
    const r = checkHistory([
      put('a', 'c1:1', 0, 10),
      get('a', 'c9:9', 11, 12),
      get('a', 'c1:2', 13, 14),
      put('a', 'c1:2', 20, 30),
      put('a', 'c1:3', 31, 40, 'fail'),
      get('a', 'c1:3', 41, 42),
      get('b', 'c1:1', 43, 44), // a value of another key
    ]);
    expect(r.violations.map((v) => v.kind).sort()).toEqual(['future-read', 'not-applied-read', 'phantom-read', 'phantom-read']);
  });

  it('checks shared keys by real time: a value older than a write acked before the read started is stale', () => {
    const ok = [put('s', 'c1:1', 0, 10, 'ok', 'c1'), put('s', 'c2:1', 5, 15, 'ok', 'c2'), get('s', 'c1:1', 16, 17, 'c3')]; // concurrent writers: either may win
    expect(checkHistory(ok).violations).toEqual([]);
    const stale = [put('s', 'c1:1', 0, 10, 'ok', 'c1'), put('s', 'c2:1', 11, 15, 'ok', 'c2'), get('s', 'c1:1', 16, 17, 'c3')];
    expect(checkHistory(stale).staleReads).toBe(1);
  });

  it('reports a failed final read as a violation, and failed workload reads only in the counts', () => {
    const r = checkHistory([
      { client: 'c1', op: 'get', key: 'a', value: null, start: 0, end: 1, result: 'fail' },
      { ...final('a', null), result: 'fail' },
    ]);
    expect(r.violations.map((v) => v.kind)).toEqual(['final-read-failed']);
    expect(r.failed).toBe(1);
    expect(r.okPercent).toBe(0);
  });

  it('summarises latency per op type', () => {
    const ops = Array.from({ length: 100 }, (_, i) => put('k', `c1:${i}`, i * 1000, i * 1000 + i + 1));
    const r = checkHistory(ops);
    expect(r.latency.put).toEqual({ count: 100, p50Ms: 50, p90Ms: 90, p99Ms: 99, maxMs: 100 });
    expect(r.latency.get.count).toBe(0);
  });
});
