import * as grpc from '@grpc/grpc-js';
import { BatchWriteStream } from './batch-write-stream.js';
import { CLIENT_CHANNEL_OPTIONS, loadProtos } from './load-proto.js';
import { PipeClient, callOrderedBidi, callServerStream, callUnary, type CallOptions } from './pipe.js';
import type { CoordinatorServiceClient } from './generated/pairdb/v1/CoordinatorService.js';
import type { StorageServiceClient } from './generated/pairdb/v1/StorageService.js';
import type { HealthClient } from './generated/grpc/health/v1/Health.js';
import type { HealthCheckResponse__Output } from './generated/grpc/health/v1/HealthCheckResponse.js';
import type * as pb from './types.js';

/**
 * Typed clients of the two services. Data-path calls travel over the pipe (rpc.md §4a); admin calls are unary.
 * Every method rejects with a PairdbError carrying the peer's API code.
 */

function sizeOfValue(v: unknown): number {
  return Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? v.length : 0;
}

function sizeOfRecord(r: pb.KeyRecord | null | undefined): number {
  let n = 0;
  for (const v of r?.versions ?? []) n += 64 + sizeOfValue(v.value);
  return n;
}

/** gateway → coordinator. */
export class CoordinatorClient {
  readonly address: string;
  readonly #client: CoordinatorServiceClient;
  readonly #health: HealthClient;
  readonly #pipe: PipeClient;

  constructor(address: string, credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure()) {
    this.address = address;
    const { pairdb, health } = loadProtos();
    this.#client = new pairdb.pairdb.v1.CoordinatorService(address, credentials, CLIENT_CHANNEL_OPTIONS);
    // The health client shares the channel (same target, options and credentials → grpc-js reuses the subchannel).
    this.#health = new health.grpc.health.v1.Health(address, credentials, CLIENT_CHANNEL_OPTIONS);
    this.#pipe = new PipeClient(() => this.#client.Pipe() as never, address);
  }

  write(req: pb.WriteKeyValueRequest, opts: CallOptions): Promise<pb.WriteKeyValueResponse__Output> {
    return this.#pipe.call('write', 'write_ok', req, opts, sizeOfValue(req.value));
  }

  read(req: pb.ReadKeyValueRequest, opts: CallOptions): Promise<pb.ReadKeyValueResponse__Output> {
    return this.#pipe.call('read', 'read_ok', req, opts);
  }

  delete(req: pb.DeleteKeyValueRequest, opts: CallOptions): Promise<pb.DeleteKeyValueResponse__Output> {
    return this.#pipe.call('delete', 'delete_ok', req, opts);
  }

  createTenant(req: pb.CreateTenantRequest, opts: CallOptions): Promise<pb.TenantResponse__Output> {
    return callUnary(this.#client, 'CreateTenant', req, opts);
  }

  getTenant(req: pb.GetTenantRequest, opts: CallOptions): Promise<pb.TenantResponse__Output> {
    return callUnary(this.#client, 'GetTenant', req, opts);
  }

  listTenants(req: pb.ListTenantsRequest, opts: CallOptions): Promise<pb.ListTenantsResponse__Output> {
    return callUnary(this.#client, 'ListTenants', req, opts);
  }

  updateTenant(req: pb.UpdateTenantRequest, opts: CallOptions): Promise<pb.TenantResponse__Output> {
    return callUnary(this.#client, 'UpdateTenant', req, opts);
  }

  updateReplicationFactor(
    req: pb.UpdateReplicationFactorRequest,
    opts: CallOptions,
  ): Promise<pb.UpdateReplicationFactorResponse__Output> {
    return callUnary(this.#client, 'UpdateReplicationFactor', req, opts);
  }

  addStorageNode(req: pb.AddStorageNodeRequest, opts: CallOptions): Promise<pb.NodeChangeResponse__Output> {
    return callUnary(this.#client, 'AddStorageNode', req, opts);
  }

  removeStorageNode(req: pb.RemoveStorageNodeRequest, opts: CallOptions): Promise<pb.NodeChangeResponse__Output> {
    return callUnary(this.#client, 'RemoveStorageNode', req, opts);
  }

  listStorageNodes(req: pb.ListStorageNodesRequest, opts: CallOptions): Promise<pb.ListStorageNodesResponse__Output> {
    return callUnary(this.#client, 'ListStorageNodes', req, opts);
  }

  /** Repair (cluster.md §14): progress messages, the last one with the final state. No deadline of its own. */
  repair(req: pb.RepairRequest, opts: CallOptions): AsyncGenerator<pb.RepairProgress__Output> {
    return callServerStream(this.#client, 'Repair', req, opts);
  }

  getMigrationStatus(req: pb.GetMigrationStatusRequest, opts: CallOptions): Promise<pb.MigrationStatus__Output> {
    return callUnary(this.#client, 'GetMigrationStatus', req, opts);
  }

  clusterStatus(opts: CallOptions): Promise<pb.ClusterStatusResponse__Output> {
    return callUnary(this.#client, 'ClusterStatus', {}, opts);
  }

  /** grpc.health.v1 Check of the coordinator service; resolves with SERVING / NOT_SERVING / …. */
  healthCheck(opts: CallOptions): Promise<string> {
    return callUnary<object, HealthCheckResponse__Output>(this.#health, 'Check', { service: '' }, opts).then((r) =>
      String(r.status),
    );
  }

  close(): void {
    this.#pipe.close();
    this.#client.close();
    this.#health.close();
  }
}

/** coordinator → storage node. */
export class StorageClient {
  readonly address: string;
  readonly #client: StorageServiceClient;
  readonly #pipe: PipeClient;

  constructor(address: string, credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure()) {
    this.address = address;
    const { pairdb } = loadProtos();
    this.#client = new pairdb.pairdb.v1.StorageService(address, credentials, CLIENT_CHANNEL_OPTIONS);
    this.#pipe = new PipeClient(() => this.#client.Pipe() as never, address);
  }

  write(req: pb.WriteRequest, opts: CallOptions): Promise<pb.WriteResponse__Output> {
    return this.#pipe.call('write', 'write_ok', req, opts, sizeOfRecord(req.record));
  }

  read(req: pb.ReadRequest, opts: CallOptions): Promise<pb.ReadResponse__Output> {
    return this.#pipe.call('read', 'read_ok', req, opts);
  }

  health(opts: CallOptions): Promise<pb.HealthResponse__Output> {
    return callUnary(this.#client, 'Health', {}, opts);
  }

  stats(opts: CallOptions): Promise<pb.StatsResponse__Output> {
    return callUnary(this.#client, 'Stats', {}, opts);
  }

  /** Gossip (rpc.md §6, cluster.md §10): push-pull of member states; coordinators call it as `observer`. 1 s deadline. */
  gossip(req: pb.GossipRequest, opts: CallOptions): Promise<pb.GossipResponse__Output> {
    return callUnary(this.#client, 'Gossip', req, opts);
  }

  /** Flush the memtable to L0 (admin; rpc.md §6: pass a 60 s deadline with `wait`). */
  flush(req: pb.FlushRequest, opts: CallOptions): Promise<pb.FlushResponse__Output> {
    return callUnary(this.#client, 'Flush', req, opts);
  }

  /**
   * Compact (rpc.md §6): `all_levels` or one `level`; `drop` (needs all_levels) omits matching keys. With `wait` the
   * answer comes when the job is done (pass a deadline up to 1 h), else at once with `completed` false.
   */
  compact(req: pb.CompactRequest, opts: CallOptions): Promise<pb.CompactResponse__Output> {
    return callUnary(this.#client, 'Compact', req, opts);
  }

  /** Snapshot (rpc.md §6): create (`name`, empty = UTC timestamp), `list`, or `clear` one; 60 s deadline. */
  snapshot(req: pb.SnapshotRequest, opts: CallOptions): Promise<pb.SnapshotResponse__Output> {
    return callUnary(this.#client, 'Snapshot', req, opts);
  }

  /**
   * ScanRange (rpc.md §6): batches in (tenant_id, key) order after `resume_after`; the last has `done`. `opts.deadlineMs`
   * bounds the whole scan; `idleTimeoutMs` (default 30 s) bounds the wait for each batch.
   */
  scanRange(req: pb.ScanRangeRequest, opts: CallOptions, idleTimeoutMs = 30_000): AsyncGenerator<pb.ScanRangeBatch__Output> {
    return callServerStream(this.#client, 'ScanRange', req, opts, idleTimeoutMs);
  }

  /** RangeDigest (rpc.md §6): one result per spec, in order (deadline 10 min). */
  rangeDigest(req: pb.RangeDigestRequest, opts: CallOptions): AsyncGenerator<pb.RangeDigestResult__Output> {
    return callServerStream(this.#client, 'RangeDigest', req, opts);
  }

  /**
   * BatchWrite (rpc.md §6): sends the batches on one stream; resolves with one ack per batch (each sent once its
   * writes are durable) or rejects with the code that ended the stream. Hints, streaming and repair.
   */
  batchWrite(batches: readonly pb.BatchWriteRequest[], opts: CallOptions): Promise<pb.BatchWriteAck__Output[]> {
    return callOrderedBidi(this.#client, 'BatchWrite', batches, opts);
  }

  /**
   * BatchWrite as an open call (streaming, cluster.md §11.4): batches are sent as they are ready, acks taken in order
   * with a timeout each. No overall deadline: a stream runs as long as it has data.
   */
  openBatchWrite(opts: Pick<CallOptions, 'requestId'>): BatchWriteStream {
    const metadata = new grpc.Metadata();
    if (opts.requestId) metadata.set('x-request-id', opts.requestId);
    return new BatchWriteStream(this.#client.BatchWrite(metadata) as never, this.address);
  }

  /** StartStreaming (rpc.md §6, 5 s): starts or joins `stream_id`; RESOURCE_EXHAUSTED past 4 outgoing streams. */
  startStreaming(req: pb.StartStreamingRequest, opts: CallOptions): Promise<pb.StartStreamingResponse__Output> {
    return callUnary(this.#client, 'StartStreaming', req, opts);
  }

  /** GetStreamStatus (rpc.md §6, 5 s): STREAM_NOT_FOUND when the node does not know the stream (e.g. restarted). */
  getStreamStatus(req: pb.GetStreamStatusRequest, opts: CallOptions): Promise<pb.StreamStatus__Output> {
    return callUnary(this.#client, 'GetStreamStatus', req, opts);
  }

  /** StopStreaming (rpc.md §6, 5 s): idempotent; answers the final status. */
  stopStreaming(req: pb.StopStreamingRequest, opts: CallOptions): Promise<pb.StreamStatus__Output> {
    return callUnary(this.#client, 'StopStreaming', req, opts);
  }

  /** Unary Write, for tools and tests (same server code path as the pipe). */
  writeUnary(req: pb.WriteRequest, opts: CallOptions): Promise<pb.WriteResponse__Output> {
    return callUnary(this.#client, 'Write', req, opts);
  }

  /** Unary Read, for tools and tests. */
  readUnary(req: pb.ReadRequest, opts: CallOptions): Promise<pb.ReadResponse__Output> {
    return callUnary(this.#client, 'Read', req, opts);
  }

  close(): void {
    this.#pipe.close();
    this.#client.close();
  }
}
