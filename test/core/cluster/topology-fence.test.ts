import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { FENCE_EPOCH_TRAILER, StaleTopologyError, checkFence, fenceFromMessage, requestEpochFromWire } from '../../../src/core/cluster/topology-fence.js';
import { PairdbError } from '../../../src/core/errors.js';
import { fromServiceError, fromWireError, toServiceError, toWireError } from '../../../src/core/rpc/pipe.js';

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('checkFence (cluster.md §4)', () => {
  it('rejects a client-path request whose epoch is below the fence with STALE_TOPOLOGY carrying the fence', () => {
    const err = thrown(() => checkFence(true, 4n, 5n));
    expect(err).toBeInstanceOf(StaleTopologyError);
    expect(err).toMatchObject({ code: 'STALE_TOPOLOGY', fenceEpoch: 5n, outcome: 'not_applied' });
    expect((err as PairdbError).grpcCode).toBe(grpc.status.FAILED_PRECONDITION);
  });

  it('passes an epoch at or above the fence, and any epoch when there is no fence', () => {
    expect(() => checkFence(true, 5n, 5n)).not.toThrow();
    expect(() => checkFence(true, 6n, 5n)).not.toThrow();
    expect(() => checkFence(true, 1n, 0n)).not.toThrow();
  });

  it('never fences traffic that is not client-path (hint, repair, read repair, stream)', () => {
    expect(() => checkFence(false, 1n, 9n)).not.toThrow();
  });

  it('lets epoch 0 (a tool that knows no topology) through even past a fence', () => {
    expect(() => checkFence(true, 0n, 9n)).not.toThrow();
  });
});

describe('requestEpochFromWire', () => {
  it('reads uint64 decimal strings and numbers; empty/absent is 0', () => {
    expect(requestEpochFromWire('18446744073709551615')).toBe(18446744073709551615n);
    expect(requestEpochFromWire(12)).toBe(12n);
    expect(requestEpochFromWire('')).toBe(0n);
    expect(requestEpochFromWire(undefined)).toBe(0n);
  });

  it('refuses garbage and values above uint64 with INVALID_REQUEST', () => {
    expect(thrown(() => requestEpochFromWire('-1'))).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(thrown(() => requestEpochFromWire('1e3'))).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(thrown(() => requestEpochFromWire('18446744073709551616'))).toMatchObject({ code: 'INVALID_REQUEST' });
  });
});

describe('STALE_TOPOLOGY on the wire (rpc.md §2)', () => {
  it('a unary status carries the fence in the pairdb-fence-epoch trailer and comes back as StaleTopologyError', () => {
    const status = toServiceError(new StaleTopologyError(3n, 8n));
    expect(status.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(status.metadata!.get(FENCE_EPOCH_TRAILER)).toEqual(['8']);
    expect(status.metadata!.get('pairdb-error-code')).toEqual(['STALE_TOPOLOGY']);
    const back = fromServiceError(Object.assign(new Error(status.details), status) as grpc.ServiceError, 'peer');
    expect(back).toBeInstanceOf(StaleTopologyError);
    expect(back).toMatchObject({ code: 'STALE_TOPOLOGY', fenceEpoch: 8n });
  });

  it('the trailer wins over the message; a status without either gives fence 0', () => {
    const md = new grpc.Metadata();
    md.set('pairdb-error-code', 'STALE_TOPOLOGY');
    md.set(FENCE_EPOCH_TRAILER, '11');
    const err = Object.assign(new Error('x'), { code: grpc.status.FAILED_PRECONDITION, details: 'stale (fence_epoch=2)', metadata: md }) as grpc.ServiceError;
    expect(fromServiceError(err, 'peer')).toMatchObject({ fenceEpoch: 11n });
    const bare = new grpc.Metadata();
    bare.set('pairdb-error-code', 'STALE_TOPOLOGY');
    const err2 = Object.assign(new Error('x'), { code: grpc.status.FAILED_PRECONDITION, details: 'stale', metadata: bare }) as grpc.ServiceError;
    expect(fromServiceError(err2, 'peer')).toMatchObject({ code: 'STALE_TOPOLOGY', fenceEpoch: 0n });
  });

  it('a pipe error has no trailer: the fence travels in the message and is read back', () => {
    const wire = toWireError(new StaleTopologyError(3n, 42n));
    expect(wire.api_code).toBe('STALE_TOPOLOGY');
    expect(wire.grpc_code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(fenceFromMessage(wire.message)).toBe(42n);
    const back = fromWireError(wire);
    expect(back).toBeInstanceOf(StaleTopologyError);
    expect(back).toMatchObject({ fenceEpoch: 42n, outcome: 'not_applied' });
  });
});
