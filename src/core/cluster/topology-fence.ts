import { type Outcome, PairdbError } from '../errors.js';

/**
 * The topology fence of a storage node (cluster.md §4, storage-engine.md §13): after Barrier(E) every node holds
 * fence_epoch ≥ E and rejects client-path Read/Write that carry a lower epoch, so a coordinator still routing with an
 * old ring cannot apply a request the new placement would not see. Pure: the daemon supplies the epochs.
 */

/** rpc.md §2: the trailer of a STALE_TOPOLOGY status, holding the node's fence. */
export const FENCE_EPOCH_TRAILER = 'pairdb-fence-epoch';

/** STALE_TOPOLOGY (FAILED_PRECONDITION) with the fence that rejected the request. */
export class StaleTopologyError extends PairdbError {
  readonly fenceEpoch: bigint;

  /**
   * A node refuses a fenced request before writing anything: outcome not_applied. `received` rebuilds a peer's error
   * with its own message and outcome (none stays none).
   */
  constructor(requestEpoch: bigint | undefined, fenceEpoch: bigint, received?: { readonly message: string; readonly outcome: Outcome | undefined }) {
    super(
      'STALE_TOPOLOGY',
      received?.message ?? `topology epoch ${String(requestEpoch)} is below this node's fence (fence_epoch=${fenceEpoch}); reload the topology and retry`,
      { outcome: received ? received.outcome : 'not_applied' },
    );
    this.fenceEpoch = fenceEpoch;
  }
}

/**
 * Parses a request's topology_epoch (uint64 as a decimal string or number from proto-loader); a malformed value is
 * INVALID_REQUEST, never a crash.
 */
export function requestEpochFromWire(v: unknown): bigint {
  if (v === undefined || v === null || v === '') return 0n;
  const s = String(v);
  if (!/^\d{1,20}$/.test(s)) throw new PairdbError('INVALID_REQUEST', `topology_epoch must be a uint64, got ${JSON.stringify(s)}`, { outcome: 'not_applied' });
  const n = BigInt(s);
  if (n >= 1n << 64n) throw new PairdbError('INVALID_REQUEST', `topology_epoch ${s} is above uint64`, { outcome: 'not_applied' });
  return n;
}

/**
 * Throws StaleTopologyError when a client-path request (a CLIENT Write or a Read) carries an epoch below the fence.
 * Epoch 0 means "sent by a tool that knows no topology" (CLI, tests, benchmarks): it is not client-path traffic of a
 * coordinator and passes, as does everything not client-path (hints, repair, read repair, streams).
 */
export function checkFence(clientPath: boolean, requestEpoch: bigint, fenceEpoch: bigint): void {
  if (!clientPath || requestEpoch === 0n) return;
  if (requestEpoch < fenceEpoch) throw new StaleTopologyError(requestEpoch, fenceEpoch);
}

/** The fence named in a STALE_TOPOLOGY message (pipe errors carry no trailer), or undefined. */
export function fenceFromMessage(message: string): bigint | undefined {
  const m = /fence_epoch=(\d{1,20})/.exec(message);
  return m ? BigInt(m[1]!) : undefined;
}

/**
 * Rebuilds a StaleTopologyError on the caller's side from the fence found in a trailer or message (0 if none) and the
 * outcome the peer sent (none stays none).
 */
export function staleTopologyFrom(message: string, trailer: unknown, outcome: Outcome | undefined): StaleTopologyError {
  let fence: bigint | undefined;
  if (typeof trailer === 'string' && /^\d{1,20}$/.test(trailer)) fence = BigInt(trailer);
  fence ??= fenceFromMessage(message);
  return new StaleTopologyError(undefined, fence ?? 0n, { message, outcome });
}
