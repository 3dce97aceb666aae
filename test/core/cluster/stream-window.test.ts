import { describe, expect, it } from 'vitest';
import { AckWindow, MAX_UNACKED_BATCHES, type SentBatch, paceDelayMs, planFromRequest } from '../../../src/core/cluster/stream-window.js';
import type * as pb from '../../../src/core/rpc/types.js';

/** The pure parts of an outgoing stream (cluster.md §11.4): request check, ack window + checkpoint, pacing. */

function request(over: Partial<pb.StartStreamingRequest__Output> = {}): pb.StartStreamingRequest__Output {
  return {
    stream_id: 'mig-0b7c5d0e-1f2a-4b3c-8d9e-0123456789ab/3',
    target_node_id: 's4',
    target_address: '127.0.0.1:50055',
    spec: { ranges: [{ start: '10', end: '20' }], tenant_ids: ['acme'] },
    resume_after: null,
    batch_size: 0,
    max_bytes_per_sec: '0',
    ...over,
  };
}

function batch(seq: number, records = 10, bytes = 100): SentBatch {
  return { seq, records, bytes, last: { tenant_id: 'acme', key: `k${seq}` } };
}

describe('planFromRequest', () => {
  it('fills the defaults: batch 1000 (larger sizes capped), unlimited rate, from the start', () => {
    const p = planFromRequest(request(), 's1');
    expect(p).toMatchObject({ targetNodeId: 's4', targetAddress: '127.0.0.1:50055', batchSize: 1000, maxBytesPerSec: 0, after: undefined, resumeAfter: null });
    expect(p.spec).toEqual({ ranges: [{ start: 10n, end: 20n }], tenants: ['acme'] });
    expect(planFromRequest(request({ batch_size: 5000 }), 's1').batchSize).toBe(1000);
    expect(planFromRequest(request({ batch_size: 200, max_bytes_per_sec: '1048576' }), 's1')).toMatchObject({ batchSize: 200, maxBytesPerSec: 1048576 });
  });

  it('turns resume_after into an exclusive ckey; an empty cursor means the start', () => {
    const p = planFromRequest(request({ resume_after: { tenant_id: 'acme', key: 'user/7' } }), 's1');
    expect(p.after).toEqual(Buffer.from('acme\u0000user/7'));
    expect(p.resumeAfter).toEqual({ tenant_id: 'acme', key: 'user/7' });
    expect(planFromRequest(request({ resume_after: { tenant_id: '', key: '' } }), 's1')).toMatchObject({ after: undefined, resumeAfter: null });
  });

  it('accepts an IPv6 target and an unset spec (everything)', () => {
    expect(planFromRequest(request({ target_address: '[::1]:7000', spec: null }), 's1').spec).toEqual({ ranges: [], tenants: [] });
  });

  it.each([
    ['an empty stream id', { stream_id: '' }],
    ['a stream id without a task', { stream_id: 'mig-1' }],
    ['a stream id with an empty task', { stream_id: 'mig-1/' }],
    ['a stream id with three parts', { stream_id: 'a/b/c' }],
    ['a stream id with a space', { stream_id: 'mig 1/2' }],
    ['no target node', { target_node_id: '' }],
    ['this node as the target', { target_node_id: 's1' }],
    ['a target without a port', { target_address: 'localhost' }],
    ['an empty target address', { target_address: '' }],
    ['a bad tenant id', { spec: { ranges: [], tenant_ids: ['no spaces'] } }],
    ['a range bound past uint64', { spec: { ranges: [{ start: '18446744073709551616', end: '0' }], tenant_ids: [] } }],
    ['a cursor with NUL', { resume_after: { tenant_id: 'acme', key: 'a\u0000b' } }],
    ['a non-numeric rate', { max_bytes_per_sec: '-5' }],
  ] as Array<[string, Partial<pb.StartStreamingRequest__Output>]>)('refuses %s with INVALID_REQUEST', (_what, over) => {
    expect(() => planFromRequest(request(over), 's1')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});

describe('AckWindow', () => {
  it('advances counters and checkpoint with in-order acks', () => {
    const w = new AckWindow({ keys: 0, bytes: 0, checkpoint: null });
    expect(w.nextSeq).toBe(1);
    w.sent(batch(1, 10, 100));
    w.sent(batch(2, 5, 50));
    expect(w.inFlight).toBe(2);
    expect(w.checkpoint).toBeNull();
    w.acked(1);
    expect([w.keysAcked, w.bytesAcked, w.checkpoint]).toEqual([10, 100, { tenant_id: 'acme', key: 'k1' }]);
    w.acked(2);
    expect([w.keysAcked, w.bytesAcked, w.checkpoint, w.inFlight]).toEqual([15, 150, { tenant_id: 'acme', key: 'k2' }, 0]);
  });

  it('checkpoints only the highest contiguous acked batch when acks arrive out of order', () => {
    const w = new AckWindow({ keys: 0, bytes: 0, checkpoint: null });
    for (let s = 1; s <= 3; s++) w.sent(batch(s));
    w.acked(3);
    w.acked(2);
    expect([w.keysAcked, w.checkpoint, w.inFlight]).toEqual([0, null, 3]);
    w.acked(1);
    expect([w.keysAcked, w.checkpoint, w.inFlight]).toEqual([30, { tenant_id: 'acme', key: 'k3' }, 0]);
  });

  it('starts from what earlier attempts delivered', () => {
    const w = new AckWindow({ keys: 500, bytes: 0, checkpoint: { tenant_id: 'acme', key: 'm' } });
    expect([w.keysAcked, w.checkpoint]).toEqual([500, { tenant_id: 'acme', key: 'm' }]);
    w.sent(batch(1, 7));
    expect(w.checkpoint).toEqual({ tenant_id: 'acme', key: 'm' });
    w.acked(1);
    expect([w.keysAcked, w.checkpoint]).toEqual([507, { tenant_id: 'acme', key: 'k1' }]);
  });

  it(`holds at most ${MAX_UNACKED_BATCHES} unacked batches`, () => {
    const w = new AckWindow({ keys: 0, bytes: 0, checkpoint: null });
    for (let s = 1; s <= MAX_UNACKED_BATCHES; s++) {
      expect(w.full).toBe(false);
      w.sent(batch(s));
    }
    expect(w.full).toBe(true);
    expect(() => w.sent(batch(MAX_UNACKED_BATCHES + 1))).toThrow(/window full/);
    w.acked(2);
    expect(w.full).toBe(true);
    w.acked(1);
    expect(w.full).toBe(false);
    w.sent(batch(MAX_UNACKED_BATCHES + 1));
  });

  it('rejects out-of-sequence sends and acks of batches not in flight', () => {
    const w = new AckWindow({ keys: 0, bytes: 0, checkpoint: null });
    expect(() => w.sent(batch(2))).toThrow(/expected 1/);
    w.sent(batch(1));
    expect(() => w.acked(7)).toThrow(/not in flight/);
    w.acked(1);
    expect(() => w.acked(1)).toThrow(/not in flight/);
  });
});

describe('paceDelayMs', () => {
  it('is 0 when unlimited or when behind the rate', () => {
    expect(paceDelayMs(1e9, 0, 1, 0)).toBe(0);
    expect(paceDelayMs(1000, 0, 2000, 1000)).toBe(0);
  });

  it('waits until the bytes sent so far fit the rate', () => {
    expect(paceDelayMs(1000, 0, 250, 1000)).toBe(750);
    expect(paceDelayMs(3000, 10_000, 10_000, 2000)).toBe(1500);
  });
});
