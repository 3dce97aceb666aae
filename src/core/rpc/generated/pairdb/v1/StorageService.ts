// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BatchWriteAck as _pairdb_v1_BatchWriteAck, BatchWriteAck__Output as _pairdb_v1_BatchWriteAck__Output } from '../../pairdb/v1/BatchWriteAck.js';
import type { BatchWriteRequest as _pairdb_v1_BatchWriteRequest, BatchWriteRequest__Output as _pairdb_v1_BatchWriteRequest__Output } from '../../pairdb/v1/BatchWriteRequest.js';
import type { CompactRequest as _pairdb_v1_CompactRequest, CompactRequest__Output as _pairdb_v1_CompactRequest__Output } from '../../pairdb/v1/CompactRequest.js';
import type { CompactResponse as _pairdb_v1_CompactResponse, CompactResponse__Output as _pairdb_v1_CompactResponse__Output } from '../../pairdb/v1/CompactResponse.js';
import type { FlushRequest as _pairdb_v1_FlushRequest, FlushRequest__Output as _pairdb_v1_FlushRequest__Output } from '../../pairdb/v1/FlushRequest.js';
import type { FlushResponse as _pairdb_v1_FlushResponse, FlushResponse__Output as _pairdb_v1_FlushResponse__Output } from '../../pairdb/v1/FlushResponse.js';
import type { GetStreamStatusRequest as _pairdb_v1_GetStreamStatusRequest, GetStreamStatusRequest__Output as _pairdb_v1_GetStreamStatusRequest__Output } from '../../pairdb/v1/GetStreamStatusRequest.js';
import type { GossipRequest as _pairdb_v1_GossipRequest, GossipRequest__Output as _pairdb_v1_GossipRequest__Output } from '../../pairdb/v1/GossipRequest.js';
import type { GossipResponse as _pairdb_v1_GossipResponse, GossipResponse__Output as _pairdb_v1_GossipResponse__Output } from '../../pairdb/v1/GossipResponse.js';
import type { HealthRequest as _pairdb_v1_HealthRequest, HealthRequest__Output as _pairdb_v1_HealthRequest__Output } from '../../pairdb/v1/HealthRequest.js';
import type { HealthResponse as _pairdb_v1_HealthResponse, HealthResponse__Output as _pairdb_v1_HealthResponse__Output } from '../../pairdb/v1/HealthResponse.js';
import type { RangeDigestRequest as _pairdb_v1_RangeDigestRequest, RangeDigestRequest__Output as _pairdb_v1_RangeDigestRequest__Output } from '../../pairdb/v1/RangeDigestRequest.js';
import type { RangeDigestResult as _pairdb_v1_RangeDigestResult, RangeDigestResult__Output as _pairdb_v1_RangeDigestResult__Output } from '../../pairdb/v1/RangeDigestResult.js';
import type { ReadRequest as _pairdb_v1_ReadRequest, ReadRequest__Output as _pairdb_v1_ReadRequest__Output } from '../../pairdb/v1/ReadRequest.js';
import type { ReadResponse as _pairdb_v1_ReadResponse, ReadResponse__Output as _pairdb_v1_ReadResponse__Output } from '../../pairdb/v1/ReadResponse.js';
import type { ScanRangeBatch as _pairdb_v1_ScanRangeBatch, ScanRangeBatch__Output as _pairdb_v1_ScanRangeBatch__Output } from '../../pairdb/v1/ScanRangeBatch.js';
import type { ScanRangeRequest as _pairdb_v1_ScanRangeRequest, ScanRangeRequest__Output as _pairdb_v1_ScanRangeRequest__Output } from '../../pairdb/v1/ScanRangeRequest.js';
import type { SnapshotRequest as _pairdb_v1_SnapshotRequest, SnapshotRequest__Output as _pairdb_v1_SnapshotRequest__Output } from '../../pairdb/v1/SnapshotRequest.js';
import type { SnapshotResponse as _pairdb_v1_SnapshotResponse, SnapshotResponse__Output as _pairdb_v1_SnapshotResponse__Output } from '../../pairdb/v1/SnapshotResponse.js';
import type { StartStreamingRequest as _pairdb_v1_StartStreamingRequest, StartStreamingRequest__Output as _pairdb_v1_StartStreamingRequest__Output } from '../../pairdb/v1/StartStreamingRequest.js';
import type { StartStreamingResponse as _pairdb_v1_StartStreamingResponse, StartStreamingResponse__Output as _pairdb_v1_StartStreamingResponse__Output } from '../../pairdb/v1/StartStreamingResponse.js';
import type { StatsRequest as _pairdb_v1_StatsRequest, StatsRequest__Output as _pairdb_v1_StatsRequest__Output } from '../../pairdb/v1/StatsRequest.js';
import type { StatsResponse as _pairdb_v1_StatsResponse, StatsResponse__Output as _pairdb_v1_StatsResponse__Output } from '../../pairdb/v1/StatsResponse.js';
import type { StopStreamingRequest as _pairdb_v1_StopStreamingRequest, StopStreamingRequest__Output as _pairdb_v1_StopStreamingRequest__Output } from '../../pairdb/v1/StopStreamingRequest.js';
import type { StoragePipeBatch as _pairdb_v1_StoragePipeBatch, StoragePipeBatch__Output as _pairdb_v1_StoragePipeBatch__Output } from '../../pairdb/v1/StoragePipeBatch.js';
import type { StreamStatus as _pairdb_v1_StreamStatus, StreamStatus__Output as _pairdb_v1_StreamStatus__Output } from '../../pairdb/v1/StreamStatus.js';
import type { WriteRequest as _pairdb_v1_WriteRequest, WriteRequest__Output as _pairdb_v1_WriteRequest__Output } from '../../pairdb/v1/WriteRequest.js';
import type { WriteResponse as _pairdb_v1_WriteResponse, WriteResponse__Output as _pairdb_v1_WriteResponse__Output } from '../../pairdb/v1/WriteResponse.js';

export interface StorageServiceClient extends grpc.Client {
  BatchWrite(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_pairdb_v1_BatchWriteRequest, _pairdb_v1_BatchWriteAck__Output>;
  BatchWrite(options?: grpc.CallOptions): grpc.ClientDuplexStream<_pairdb_v1_BatchWriteRequest, _pairdb_v1_BatchWriteAck__Output>;
  batchWrite(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_pairdb_v1_BatchWriteRequest, _pairdb_v1_BatchWriteAck__Output>;
  batchWrite(options?: grpc.CallOptions): grpc.ClientDuplexStream<_pairdb_v1_BatchWriteRequest, _pairdb_v1_BatchWriteAck__Output>;
  
  Compact(argument: _pairdb_v1_CompactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  Compact(argument: _pairdb_v1_CompactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  Compact(argument: _pairdb_v1_CompactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  Compact(argument: _pairdb_v1_CompactRequest, callback: grpc.requestCallback<_pairdb_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  compact(argument: _pairdb_v1_CompactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  compact(argument: _pairdb_v1_CompactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  compact(argument: _pairdb_v1_CompactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  compact(argument: _pairdb_v1_CompactRequest, callback: grpc.requestCallback<_pairdb_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  
  Flush(argument: _pairdb_v1_FlushRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  Flush(argument: _pairdb_v1_FlushRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  Flush(argument: _pairdb_v1_FlushRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  Flush(argument: _pairdb_v1_FlushRequest, callback: grpc.requestCallback<_pairdb_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  flush(argument: _pairdb_v1_FlushRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  flush(argument: _pairdb_v1_FlushRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  flush(argument: _pairdb_v1_FlushRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  flush(argument: _pairdb_v1_FlushRequest, callback: grpc.requestCallback<_pairdb_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  
  GetStreamStatus(argument: _pairdb_v1_GetStreamStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  GetStreamStatus(argument: _pairdb_v1_GetStreamStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  GetStreamStatus(argument: _pairdb_v1_GetStreamStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  GetStreamStatus(argument: _pairdb_v1_GetStreamStatusRequest, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  getStreamStatus(argument: _pairdb_v1_GetStreamStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  getStreamStatus(argument: _pairdb_v1_GetStreamStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  getStreamStatus(argument: _pairdb_v1_GetStreamStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  getStreamStatus(argument: _pairdb_v1_GetStreamStatusRequest, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  
  Gossip(argument: _pairdb_v1_GossipRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_GossipResponse__Output>): grpc.ClientUnaryCall;
  Gossip(argument: _pairdb_v1_GossipRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_GossipResponse__Output>): grpc.ClientUnaryCall;
  Gossip(argument: _pairdb_v1_GossipRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_GossipResponse__Output>): grpc.ClientUnaryCall;
  Gossip(argument: _pairdb_v1_GossipRequest, callback: grpc.requestCallback<_pairdb_v1_GossipResponse__Output>): grpc.ClientUnaryCall;
  gossip(argument: _pairdb_v1_GossipRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_GossipResponse__Output>): grpc.ClientUnaryCall;
  gossip(argument: _pairdb_v1_GossipRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_GossipResponse__Output>): grpc.ClientUnaryCall;
  gossip(argument: _pairdb_v1_GossipRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_GossipResponse__Output>): grpc.ClientUnaryCall;
  gossip(argument: _pairdb_v1_GossipRequest, callback: grpc.requestCallback<_pairdb_v1_GossipResponse__Output>): grpc.ClientUnaryCall;
  
  Health(argument: _pairdb_v1_HealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _pairdb_v1_HealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _pairdb_v1_HealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _pairdb_v1_HealthRequest, callback: grpc.requestCallback<_pairdb_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _pairdb_v1_HealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _pairdb_v1_HealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _pairdb_v1_HealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _pairdb_v1_HealthRequest, callback: grpc.requestCallback<_pairdb_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  
  Pipe(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_pairdb_v1_StoragePipeBatch, _pairdb_v1_StoragePipeBatch__Output>;
  Pipe(options?: grpc.CallOptions): grpc.ClientDuplexStream<_pairdb_v1_StoragePipeBatch, _pairdb_v1_StoragePipeBatch__Output>;
  pipe(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_pairdb_v1_StoragePipeBatch, _pairdb_v1_StoragePipeBatch__Output>;
  pipe(options?: grpc.CallOptions): grpc.ClientDuplexStream<_pairdb_v1_StoragePipeBatch, _pairdb_v1_StoragePipeBatch__Output>;
  
  RangeDigest(argument: _pairdb_v1_RangeDigestRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_pairdb_v1_RangeDigestResult__Output>;
  RangeDigest(argument: _pairdb_v1_RangeDigestRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_pairdb_v1_RangeDigestResult__Output>;
  rangeDigest(argument: _pairdb_v1_RangeDigestRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_pairdb_v1_RangeDigestResult__Output>;
  rangeDigest(argument: _pairdb_v1_RangeDigestRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_pairdb_v1_RangeDigestResult__Output>;
  
  Read(argument: _pairdb_v1_ReadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  Read(argument: _pairdb_v1_ReadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  Read(argument: _pairdb_v1_ReadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  Read(argument: _pairdb_v1_ReadRequest, callback: grpc.requestCallback<_pairdb_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  read(argument: _pairdb_v1_ReadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  read(argument: _pairdb_v1_ReadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  read(argument: _pairdb_v1_ReadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  read(argument: _pairdb_v1_ReadRequest, callback: grpc.requestCallback<_pairdb_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  
  ScanRange(argument: _pairdb_v1_ScanRangeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_pairdb_v1_ScanRangeBatch__Output>;
  ScanRange(argument: _pairdb_v1_ScanRangeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_pairdb_v1_ScanRangeBatch__Output>;
  scanRange(argument: _pairdb_v1_ScanRangeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_pairdb_v1_ScanRangeBatch__Output>;
  scanRange(argument: _pairdb_v1_ScanRangeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_pairdb_v1_ScanRangeBatch__Output>;
  
  Snapshot(argument: _pairdb_v1_SnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _pairdb_v1_SnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _pairdb_v1_SnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _pairdb_v1_SnapshotRequest, callback: grpc.requestCallback<_pairdb_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _pairdb_v1_SnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _pairdb_v1_SnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _pairdb_v1_SnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _pairdb_v1_SnapshotRequest, callback: grpc.requestCallback<_pairdb_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  
  StartStreaming(argument: _pairdb_v1_StartStreamingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StartStreamingResponse__Output>): grpc.ClientUnaryCall;
  StartStreaming(argument: _pairdb_v1_StartStreamingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_StartStreamingResponse__Output>): grpc.ClientUnaryCall;
  StartStreaming(argument: _pairdb_v1_StartStreamingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StartStreamingResponse__Output>): grpc.ClientUnaryCall;
  StartStreaming(argument: _pairdb_v1_StartStreamingRequest, callback: grpc.requestCallback<_pairdb_v1_StartStreamingResponse__Output>): grpc.ClientUnaryCall;
  startStreaming(argument: _pairdb_v1_StartStreamingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StartStreamingResponse__Output>): grpc.ClientUnaryCall;
  startStreaming(argument: _pairdb_v1_StartStreamingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_StartStreamingResponse__Output>): grpc.ClientUnaryCall;
  startStreaming(argument: _pairdb_v1_StartStreamingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StartStreamingResponse__Output>): grpc.ClientUnaryCall;
  startStreaming(argument: _pairdb_v1_StartStreamingRequest, callback: grpc.requestCallback<_pairdb_v1_StartStreamingResponse__Output>): grpc.ClientUnaryCall;
  
  Stats(argument: _pairdb_v1_StatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  Stats(argument: _pairdb_v1_StatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  Stats(argument: _pairdb_v1_StatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  Stats(argument: _pairdb_v1_StatsRequest, callback: grpc.requestCallback<_pairdb_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  stats(argument: _pairdb_v1_StatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  stats(argument: _pairdb_v1_StatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  stats(argument: _pairdb_v1_StatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  stats(argument: _pairdb_v1_StatsRequest, callback: grpc.requestCallback<_pairdb_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  
  StopStreaming(argument: _pairdb_v1_StopStreamingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  StopStreaming(argument: _pairdb_v1_StopStreamingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  StopStreaming(argument: _pairdb_v1_StopStreamingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  StopStreaming(argument: _pairdb_v1_StopStreamingRequest, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  stopStreaming(argument: _pairdb_v1_StopStreamingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  stopStreaming(argument: _pairdb_v1_StopStreamingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  stopStreaming(argument: _pairdb_v1_StopStreamingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  stopStreaming(argument: _pairdb_v1_StopStreamingRequest, callback: grpc.requestCallback<_pairdb_v1_StreamStatus__Output>): grpc.ClientUnaryCall;
  
  Write(argument: _pairdb_v1_WriteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  Write(argument: _pairdb_v1_WriteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  Write(argument: _pairdb_v1_WriteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  Write(argument: _pairdb_v1_WriteRequest, callback: grpc.requestCallback<_pairdb_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  write(argument: _pairdb_v1_WriteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  write(argument: _pairdb_v1_WriteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  write(argument: _pairdb_v1_WriteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  write(argument: _pairdb_v1_WriteRequest, callback: grpc.requestCallback<_pairdb_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface StorageServiceHandlers extends grpc.UntypedServiceImplementation {
  BatchWrite: grpc.handleBidiStreamingCall<_pairdb_v1_BatchWriteRequest__Output, _pairdb_v1_BatchWriteAck>;
  
  Compact: grpc.handleUnaryCall<_pairdb_v1_CompactRequest__Output, _pairdb_v1_CompactResponse>;
  
  Flush: grpc.handleUnaryCall<_pairdb_v1_FlushRequest__Output, _pairdb_v1_FlushResponse>;
  
  GetStreamStatus: grpc.handleUnaryCall<_pairdb_v1_GetStreamStatusRequest__Output, _pairdb_v1_StreamStatus>;
  
  Gossip: grpc.handleUnaryCall<_pairdb_v1_GossipRequest__Output, _pairdb_v1_GossipResponse>;
  
  Health: grpc.handleUnaryCall<_pairdb_v1_HealthRequest__Output, _pairdb_v1_HealthResponse>;
  
  Pipe: grpc.handleBidiStreamingCall<_pairdb_v1_StoragePipeBatch__Output, _pairdb_v1_StoragePipeBatch>;
  
  RangeDigest: grpc.handleServerStreamingCall<_pairdb_v1_RangeDigestRequest__Output, _pairdb_v1_RangeDigestResult>;
  
  Read: grpc.handleUnaryCall<_pairdb_v1_ReadRequest__Output, _pairdb_v1_ReadResponse>;
  
  ScanRange: grpc.handleServerStreamingCall<_pairdb_v1_ScanRangeRequest__Output, _pairdb_v1_ScanRangeBatch>;
  
  Snapshot: grpc.handleUnaryCall<_pairdb_v1_SnapshotRequest__Output, _pairdb_v1_SnapshotResponse>;
  
  StartStreaming: grpc.handleUnaryCall<_pairdb_v1_StartStreamingRequest__Output, _pairdb_v1_StartStreamingResponse>;
  
  Stats: grpc.handleUnaryCall<_pairdb_v1_StatsRequest__Output, _pairdb_v1_StatsResponse>;
  
  StopStreaming: grpc.handleUnaryCall<_pairdb_v1_StopStreamingRequest__Output, _pairdb_v1_StreamStatus>;
  
  Write: grpc.handleUnaryCall<_pairdb_v1_WriteRequest__Output, _pairdb_v1_WriteResponse>;
  
}

export interface StorageServiceDefinition extends grpc.ServiceDefinition {
  BatchWrite: MethodDefinition<_pairdb_v1_BatchWriteRequest, _pairdb_v1_BatchWriteAck, _pairdb_v1_BatchWriteRequest__Output, _pairdb_v1_BatchWriteAck__Output>
  Compact: MethodDefinition<_pairdb_v1_CompactRequest, _pairdb_v1_CompactResponse, _pairdb_v1_CompactRequest__Output, _pairdb_v1_CompactResponse__Output>
  Flush: MethodDefinition<_pairdb_v1_FlushRequest, _pairdb_v1_FlushResponse, _pairdb_v1_FlushRequest__Output, _pairdb_v1_FlushResponse__Output>
  GetStreamStatus: MethodDefinition<_pairdb_v1_GetStreamStatusRequest, _pairdb_v1_StreamStatus, _pairdb_v1_GetStreamStatusRequest__Output, _pairdb_v1_StreamStatus__Output>
  Gossip: MethodDefinition<_pairdb_v1_GossipRequest, _pairdb_v1_GossipResponse, _pairdb_v1_GossipRequest__Output, _pairdb_v1_GossipResponse__Output>
  Health: MethodDefinition<_pairdb_v1_HealthRequest, _pairdb_v1_HealthResponse, _pairdb_v1_HealthRequest__Output, _pairdb_v1_HealthResponse__Output>
  Pipe: MethodDefinition<_pairdb_v1_StoragePipeBatch, _pairdb_v1_StoragePipeBatch, _pairdb_v1_StoragePipeBatch__Output, _pairdb_v1_StoragePipeBatch__Output>
  RangeDigest: MethodDefinition<_pairdb_v1_RangeDigestRequest, _pairdb_v1_RangeDigestResult, _pairdb_v1_RangeDigestRequest__Output, _pairdb_v1_RangeDigestResult__Output>
  Read: MethodDefinition<_pairdb_v1_ReadRequest, _pairdb_v1_ReadResponse, _pairdb_v1_ReadRequest__Output, _pairdb_v1_ReadResponse__Output>
  ScanRange: MethodDefinition<_pairdb_v1_ScanRangeRequest, _pairdb_v1_ScanRangeBatch, _pairdb_v1_ScanRangeRequest__Output, _pairdb_v1_ScanRangeBatch__Output>
  Snapshot: MethodDefinition<_pairdb_v1_SnapshotRequest, _pairdb_v1_SnapshotResponse, _pairdb_v1_SnapshotRequest__Output, _pairdb_v1_SnapshotResponse__Output>
  StartStreaming: MethodDefinition<_pairdb_v1_StartStreamingRequest, _pairdb_v1_StartStreamingResponse, _pairdb_v1_StartStreamingRequest__Output, _pairdb_v1_StartStreamingResponse__Output>
  Stats: MethodDefinition<_pairdb_v1_StatsRequest, _pairdb_v1_StatsResponse, _pairdb_v1_StatsRequest__Output, _pairdb_v1_StatsResponse__Output>
  StopStreaming: MethodDefinition<_pairdb_v1_StopStreamingRequest, _pairdb_v1_StreamStatus, _pairdb_v1_StopStreamingRequest__Output, _pairdb_v1_StreamStatus__Output>
  Write: MethodDefinition<_pairdb_v1_WriteRequest, _pairdb_v1_WriteResponse, _pairdb_v1_WriteRequest__Output, _pairdb_v1_WriteResponse__Output>
}
