import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddStorageNodeRequest as _pairdb_v1_AddStorageNodeRequest, AddStorageNodeRequest__Output as _pairdb_v1_AddStorageNodeRequest__Output } from './pairdb/v1/AddStorageNodeRequest.js';
import type { BatchWriteAck as _pairdb_v1_BatchWriteAck, BatchWriteAck__Output as _pairdb_v1_BatchWriteAck__Output } from './pairdb/v1/BatchWriteAck.js';
import type { BatchWriteRequest as _pairdb_v1_BatchWriteRequest, BatchWriteRequest__Output as _pairdb_v1_BatchWriteRequest__Output } from './pairdb/v1/BatchWriteRequest.js';
import type { ClientPipeBatch as _pairdb_v1_ClientPipeBatch, ClientPipeBatch__Output as _pairdb_v1_ClientPipeBatch__Output } from './pairdb/v1/ClientPipeBatch.js';
import type { ClientPipeEntry as _pairdb_v1_ClientPipeEntry, ClientPipeEntry__Output as _pairdb_v1_ClientPipeEntry__Output } from './pairdb/v1/ClientPipeEntry.js';
import type { ClusterStatusRequest as _pairdb_v1_ClusterStatusRequest, ClusterStatusRequest__Output as _pairdb_v1_ClusterStatusRequest__Output } from './pairdb/v1/ClusterStatusRequest.js';
import type { ClusterStatusResponse as _pairdb_v1_ClusterStatusResponse, ClusterStatusResponse__Output as _pairdb_v1_ClusterStatusResponse__Output } from './pairdb/v1/ClusterStatusResponse.js';
import type { CompactRequest as _pairdb_v1_CompactRequest, CompactRequest__Output as _pairdb_v1_CompactRequest__Output } from './pairdb/v1/CompactRequest.js';
import type { CompactResponse as _pairdb_v1_CompactResponse, CompactResponse__Output as _pairdb_v1_CompactResponse__Output } from './pairdb/v1/CompactResponse.js';
import type { CoordinatorInfo as _pairdb_v1_CoordinatorInfo, CoordinatorInfo__Output as _pairdb_v1_CoordinatorInfo__Output } from './pairdb/v1/CoordinatorInfo.js';
import type { CoordinatorServiceClient as _pairdb_v1_CoordinatorServiceClient, CoordinatorServiceDefinition as _pairdb_v1_CoordinatorServiceDefinition } from './pairdb/v1/CoordinatorService.js';
import type { CreateTenantRequest as _pairdb_v1_CreateTenantRequest, CreateTenantRequest__Output as _pairdb_v1_CreateTenantRequest__Output } from './pairdb/v1/CreateTenantRequest.js';
import type { DeleteKeyValueRequest as _pairdb_v1_DeleteKeyValueRequest, DeleteKeyValueRequest__Output as _pairdb_v1_DeleteKeyValueRequest__Output } from './pairdb/v1/DeleteKeyValueRequest.js';
import type { DeleteKeyValueResponse as _pairdb_v1_DeleteKeyValueResponse, DeleteKeyValueResponse__Output as _pairdb_v1_DeleteKeyValueResponse__Output } from './pairdb/v1/DeleteKeyValueResponse.js';
import type { DigestSpec as _pairdb_v1_DigestSpec, DigestSpec__Output as _pairdb_v1_DigestSpec__Output } from './pairdb/v1/DigestSpec.js';
import type { FlushRequest as _pairdb_v1_FlushRequest, FlushRequest__Output as _pairdb_v1_FlushRequest__Output } from './pairdb/v1/FlushRequest.js';
import type { FlushResponse as _pairdb_v1_FlushResponse, FlushResponse__Output as _pairdb_v1_FlushResponse__Output } from './pairdb/v1/FlushResponse.js';
import type { GetMigrationStatusRequest as _pairdb_v1_GetMigrationStatusRequest, GetMigrationStatusRequest__Output as _pairdb_v1_GetMigrationStatusRequest__Output } from './pairdb/v1/GetMigrationStatusRequest.js';
import type { GetStreamStatusRequest as _pairdb_v1_GetStreamStatusRequest, GetStreamStatusRequest__Output as _pairdb_v1_GetStreamStatusRequest__Output } from './pairdb/v1/GetStreamStatusRequest.js';
import type { GetTenantRequest as _pairdb_v1_GetTenantRequest, GetTenantRequest__Output as _pairdb_v1_GetTenantRequest__Output } from './pairdb/v1/GetTenantRequest.js';
import type { GossipRequest as _pairdb_v1_GossipRequest, GossipRequest__Output as _pairdb_v1_GossipRequest__Output } from './pairdb/v1/GossipRequest.js';
import type { GossipResponse as _pairdb_v1_GossipResponse, GossipResponse__Output as _pairdb_v1_GossipResponse__Output } from './pairdb/v1/GossipResponse.js';
import type { HashRange as _pairdb_v1_HashRange, HashRange__Output as _pairdb_v1_HashRange__Output } from './pairdb/v1/HashRange.js';
import type { HealthRequest as _pairdb_v1_HealthRequest, HealthRequest__Output as _pairdb_v1_HealthRequest__Output } from './pairdb/v1/HealthRequest.js';
import type { HealthResponse as _pairdb_v1_HealthResponse, HealthResponse__Output as _pairdb_v1_HealthResponse__Output } from './pairdb/v1/HealthResponse.js';
import type { KeyRecord as _pairdb_v1_KeyRecord, KeyRecord__Output as _pairdb_v1_KeyRecord__Output } from './pairdb/v1/KeyRecord.js';
import type { LeafDigest as _pairdb_v1_LeafDigest, LeafDigest__Output as _pairdb_v1_LeafDigest__Output } from './pairdb/v1/LeafDigest.js';
import type { ListStorageNodesRequest as _pairdb_v1_ListStorageNodesRequest, ListStorageNodesRequest__Output as _pairdb_v1_ListStorageNodesRequest__Output } from './pairdb/v1/ListStorageNodesRequest.js';
import type { ListStorageNodesResponse as _pairdb_v1_ListStorageNodesResponse, ListStorageNodesResponse__Output as _pairdb_v1_ListStorageNodesResponse__Output } from './pairdb/v1/ListStorageNodesResponse.js';
import type { ListTenantsRequest as _pairdb_v1_ListTenantsRequest, ListTenantsRequest__Output as _pairdb_v1_ListTenantsRequest__Output } from './pairdb/v1/ListTenantsRequest.js';
import type { ListTenantsResponse as _pairdb_v1_ListTenantsResponse, ListTenantsResponse__Output as _pairdb_v1_ListTenantsResponse__Output } from './pairdb/v1/ListTenantsResponse.js';
import type { MemberState as _pairdb_v1_MemberState, MemberState__Output as _pairdb_v1_MemberState__Output } from './pairdb/v1/MemberState.js';
import type { MigrationProgress as _pairdb_v1_MigrationProgress, MigrationProgress__Output as _pairdb_v1_MigrationProgress__Output } from './pairdb/v1/MigrationProgress.js';
import type { MigrationStatus as _pairdb_v1_MigrationStatus, MigrationStatus__Output as _pairdb_v1_MigrationStatus__Output } from './pairdb/v1/MigrationStatus.js';
import type { NodeChangeResponse as _pairdb_v1_NodeChangeResponse, NodeChangeResponse__Output as _pairdb_v1_NodeChangeResponse__Output } from './pairdb/v1/NodeChangeResponse.js';
import type { PipeError as _pairdb_v1_PipeError, PipeError__Output as _pairdb_v1_PipeError__Output } from './pairdb/v1/PipeError.js';
import type { RangeDigestRequest as _pairdb_v1_RangeDigestRequest, RangeDigestRequest__Output as _pairdb_v1_RangeDigestRequest__Output } from './pairdb/v1/RangeDigestRequest.js';
import type { RangeDigestResult as _pairdb_v1_RangeDigestResult, RangeDigestResult__Output as _pairdb_v1_RangeDigestResult__Output } from './pairdb/v1/RangeDigestResult.js';
import type { RangeSpec as _pairdb_v1_RangeSpec, RangeSpec__Output as _pairdb_v1_RangeSpec__Output } from './pairdb/v1/RangeSpec.js';
import type { ReadKeyValueRequest as _pairdb_v1_ReadKeyValueRequest, ReadKeyValueRequest__Output as _pairdb_v1_ReadKeyValueRequest__Output } from './pairdb/v1/ReadKeyValueRequest.js';
import type { ReadKeyValueResponse as _pairdb_v1_ReadKeyValueResponse, ReadKeyValueResponse__Output as _pairdb_v1_ReadKeyValueResponse__Output } from './pairdb/v1/ReadKeyValueResponse.js';
import type { ReadRequest as _pairdb_v1_ReadRequest, ReadRequest__Output as _pairdb_v1_ReadRequest__Output } from './pairdb/v1/ReadRequest.js';
import type { ReadResponse as _pairdb_v1_ReadResponse, ReadResponse__Output as _pairdb_v1_ReadResponse__Output } from './pairdb/v1/ReadResponse.js';
import type { RemoveStorageNodeRequest as _pairdb_v1_RemoveStorageNodeRequest, RemoveStorageNodeRequest__Output as _pairdb_v1_RemoveStorageNodeRequest__Output } from './pairdb/v1/RemoveStorageNodeRequest.js';
import type { RepairProgress as _pairdb_v1_RepairProgress, RepairProgress__Output as _pairdb_v1_RepairProgress__Output } from './pairdb/v1/RepairProgress.js';
import type { RepairRequest as _pairdb_v1_RepairRequest, RepairRequest__Output as _pairdb_v1_RepairRequest__Output } from './pairdb/v1/RepairRequest.js';
import type { RingMember as _pairdb_v1_RingMember, RingMember__Output as _pairdb_v1_RingMember__Output } from './pairdb/v1/RingMember.js';
import type { ScanCursor as _pairdb_v1_ScanCursor, ScanCursor__Output as _pairdb_v1_ScanCursor__Output } from './pairdb/v1/ScanCursor.js';
import type { ScanRangeBatch as _pairdb_v1_ScanRangeBatch, ScanRangeBatch__Output as _pairdb_v1_ScanRangeBatch__Output } from './pairdb/v1/ScanRangeBatch.js';
import type { ScanRangeRequest as _pairdb_v1_ScanRangeRequest, ScanRangeRequest__Output as _pairdb_v1_ScanRangeRequest__Output } from './pairdb/v1/ScanRangeRequest.js';
import type { Sibling as _pairdb_v1_Sibling, Sibling__Output as _pairdb_v1_Sibling__Output } from './pairdb/v1/Sibling.js';
import type { SnapshotInfo as _pairdb_v1_SnapshotInfo, SnapshotInfo__Output as _pairdb_v1_SnapshotInfo__Output } from './pairdb/v1/SnapshotInfo.js';
import type { SnapshotRequest as _pairdb_v1_SnapshotRequest, SnapshotRequest__Output as _pairdb_v1_SnapshotRequest__Output } from './pairdb/v1/SnapshotRequest.js';
import type { SnapshotResponse as _pairdb_v1_SnapshotResponse, SnapshotResponse__Output as _pairdb_v1_SnapshotResponse__Output } from './pairdb/v1/SnapshotResponse.js';
import type { StartStreamingRequest as _pairdb_v1_StartStreamingRequest, StartStreamingRequest__Output as _pairdb_v1_StartStreamingRequest__Output } from './pairdb/v1/StartStreamingRequest.js';
import type { StartStreamingResponse as _pairdb_v1_StartStreamingResponse, StartStreamingResponse__Output as _pairdb_v1_StartStreamingResponse__Output } from './pairdb/v1/StartStreamingResponse.js';
import type { StatsRequest as _pairdb_v1_StatsRequest, StatsRequest__Output as _pairdb_v1_StatsRequest__Output } from './pairdb/v1/StatsRequest.js';
import type { StatsResponse as _pairdb_v1_StatsResponse, StatsResponse__Output as _pairdb_v1_StatsResponse__Output } from './pairdb/v1/StatsResponse.js';
import type { StopStreamingRequest as _pairdb_v1_StopStreamingRequest, StopStreamingRequest__Output as _pairdb_v1_StopStreamingRequest__Output } from './pairdb/v1/StopStreamingRequest.js';
import type { StorageNodeInfo as _pairdb_v1_StorageNodeInfo, StorageNodeInfo__Output as _pairdb_v1_StorageNodeInfo__Output } from './pairdb/v1/StorageNodeInfo.js';
import type { StoragePipeBatch as _pairdb_v1_StoragePipeBatch, StoragePipeBatch__Output as _pairdb_v1_StoragePipeBatch__Output } from './pairdb/v1/StoragePipeBatch.js';
import type { StoragePipeEntry as _pairdb_v1_StoragePipeEntry, StoragePipeEntry__Output as _pairdb_v1_StoragePipeEntry__Output } from './pairdb/v1/StoragePipeEntry.js';
import type { StorageServiceClient as _pairdb_v1_StorageServiceClient, StorageServiceDefinition as _pairdb_v1_StorageServiceDefinition } from './pairdb/v1/StorageService.js';
import type { StreamStatus as _pairdb_v1_StreamStatus, StreamStatus__Output as _pairdb_v1_StreamStatus__Output } from './pairdb/v1/StreamStatus.js';
import type { Tenant as _pairdb_v1_Tenant, Tenant__Output as _pairdb_v1_Tenant__Output } from './pairdb/v1/Tenant.js';
import type { TenantResponse as _pairdb_v1_TenantResponse, TenantResponse__Output as _pairdb_v1_TenantResponse__Output } from './pairdb/v1/TenantResponse.js';
import type { UpdateReplicationFactorRequest as _pairdb_v1_UpdateReplicationFactorRequest, UpdateReplicationFactorRequest__Output as _pairdb_v1_UpdateReplicationFactorRequest__Output } from './pairdb/v1/UpdateReplicationFactorRequest.js';
import type { UpdateReplicationFactorResponse as _pairdb_v1_UpdateReplicationFactorResponse, UpdateReplicationFactorResponse__Output as _pairdb_v1_UpdateReplicationFactorResponse__Output } from './pairdb/v1/UpdateReplicationFactorResponse.js';
import type { UpdateTenantRequest as _pairdb_v1_UpdateTenantRequest, UpdateTenantRequest__Output as _pairdb_v1_UpdateTenantRequest__Output } from './pairdb/v1/UpdateTenantRequest.js';
import type { VectorClock as _pairdb_v1_VectorClock, VectorClock__Output as _pairdb_v1_VectorClock__Output } from './pairdb/v1/VectorClock.js';
import type { VectorClockEntry as _pairdb_v1_VectorClockEntry, VectorClockEntry__Output as _pairdb_v1_VectorClockEntry__Output } from './pairdb/v1/VectorClockEntry.js';
import type { Version as _pairdb_v1_Version, Version__Output as _pairdb_v1_Version__Output } from './pairdb/v1/Version.js';
import type { WriteIdEntry as _pairdb_v1_WriteIdEntry, WriteIdEntry__Output as _pairdb_v1_WriteIdEntry__Output } from './pairdb/v1/WriteIdEntry.js';
import type { WriteKeyValueRequest as _pairdb_v1_WriteKeyValueRequest, WriteKeyValueRequest__Output as _pairdb_v1_WriteKeyValueRequest__Output } from './pairdb/v1/WriteKeyValueRequest.js';
import type { WriteKeyValueResponse as _pairdb_v1_WriteKeyValueResponse, WriteKeyValueResponse__Output as _pairdb_v1_WriteKeyValueResponse__Output } from './pairdb/v1/WriteKeyValueResponse.js';
import type { WriteRequest as _pairdb_v1_WriteRequest, WriteRequest__Output as _pairdb_v1_WriteRequest__Output } from './pairdb/v1/WriteRequest.js';
import type { WriteResponse as _pairdb_v1_WriteResponse, WriteResponse__Output as _pairdb_v1_WriteResponse__Output } from './pairdb/v1/WriteResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  pairdb: {
    v1: {
      AddStorageNodeRequest: MessageTypeDefinition<_pairdb_v1_AddStorageNodeRequest, _pairdb_v1_AddStorageNodeRequest__Output>
      BatchWriteAck: MessageTypeDefinition<_pairdb_v1_BatchWriteAck, _pairdb_v1_BatchWriteAck__Output>
      BatchWriteRequest: MessageTypeDefinition<_pairdb_v1_BatchWriteRequest, _pairdb_v1_BatchWriteRequest__Output>
      ClientPipeBatch: MessageTypeDefinition<_pairdb_v1_ClientPipeBatch, _pairdb_v1_ClientPipeBatch__Output>
      ClientPipeEntry: MessageTypeDefinition<_pairdb_v1_ClientPipeEntry, _pairdb_v1_ClientPipeEntry__Output>
      ClusterStatusRequest: MessageTypeDefinition<_pairdb_v1_ClusterStatusRequest, _pairdb_v1_ClusterStatusRequest__Output>
      ClusterStatusResponse: MessageTypeDefinition<_pairdb_v1_ClusterStatusResponse, _pairdb_v1_ClusterStatusResponse__Output>
      CompactRequest: MessageTypeDefinition<_pairdb_v1_CompactRequest, _pairdb_v1_CompactRequest__Output>
      CompactResponse: MessageTypeDefinition<_pairdb_v1_CompactResponse, _pairdb_v1_CompactResponse__Output>
      ConflictResolution: EnumTypeDefinition
      Consistency: EnumTypeDefinition
      CoordinatorInfo: MessageTypeDefinition<_pairdb_v1_CoordinatorInfo, _pairdb_v1_CoordinatorInfo__Output>
      CoordinatorService: SubtypeConstructor<typeof grpc.Client, _pairdb_v1_CoordinatorServiceClient> & { service: _pairdb_v1_CoordinatorServiceDefinition }
      CreateTenantRequest: MessageTypeDefinition<_pairdb_v1_CreateTenantRequest, _pairdb_v1_CreateTenantRequest__Output>
      DeleteKeyValueRequest: MessageTypeDefinition<_pairdb_v1_DeleteKeyValueRequest, _pairdb_v1_DeleteKeyValueRequest__Output>
      DeleteKeyValueResponse: MessageTypeDefinition<_pairdb_v1_DeleteKeyValueResponse, _pairdb_v1_DeleteKeyValueResponse__Output>
      DigestSpec: MessageTypeDefinition<_pairdb_v1_DigestSpec, _pairdb_v1_DigestSpec__Output>
      FlushRequest: MessageTypeDefinition<_pairdb_v1_FlushRequest, _pairdb_v1_FlushRequest__Output>
      FlushResponse: MessageTypeDefinition<_pairdb_v1_FlushResponse, _pairdb_v1_FlushResponse__Output>
      GetMigrationStatusRequest: MessageTypeDefinition<_pairdb_v1_GetMigrationStatusRequest, _pairdb_v1_GetMigrationStatusRequest__Output>
      GetStreamStatusRequest: MessageTypeDefinition<_pairdb_v1_GetStreamStatusRequest, _pairdb_v1_GetStreamStatusRequest__Output>
      GetTenantRequest: MessageTypeDefinition<_pairdb_v1_GetTenantRequest, _pairdb_v1_GetTenantRequest__Output>
      GossipRequest: MessageTypeDefinition<_pairdb_v1_GossipRequest, _pairdb_v1_GossipRequest__Output>
      GossipResponse: MessageTypeDefinition<_pairdb_v1_GossipResponse, _pairdb_v1_GossipResponse__Output>
      HashRange: MessageTypeDefinition<_pairdb_v1_HashRange, _pairdb_v1_HashRange__Output>
      HealthRequest: MessageTypeDefinition<_pairdb_v1_HealthRequest, _pairdb_v1_HealthRequest__Output>
      HealthResponse: MessageTypeDefinition<_pairdb_v1_HealthResponse, _pairdb_v1_HealthResponse__Output>
      KeyRecord: MessageTypeDefinition<_pairdb_v1_KeyRecord, _pairdb_v1_KeyRecord__Output>
      LeafDigest: MessageTypeDefinition<_pairdb_v1_LeafDigest, _pairdb_v1_LeafDigest__Output>
      ListStorageNodesRequest: MessageTypeDefinition<_pairdb_v1_ListStorageNodesRequest, _pairdb_v1_ListStorageNodesRequest__Output>
      ListStorageNodesResponse: MessageTypeDefinition<_pairdb_v1_ListStorageNodesResponse, _pairdb_v1_ListStorageNodesResponse__Output>
      ListTenantsRequest: MessageTypeDefinition<_pairdb_v1_ListTenantsRequest, _pairdb_v1_ListTenantsRequest__Output>
      ListTenantsResponse: MessageTypeDefinition<_pairdb_v1_ListTenantsResponse, _pairdb_v1_ListTenantsResponse__Output>
      Liveness: EnumTypeDefinition
      MemberState: MessageTypeDefinition<_pairdb_v1_MemberState, _pairdb_v1_MemberState__Output>
      MemberStatus: EnumTypeDefinition
      MigrationPhase: EnumTypeDefinition
      MigrationProgress: MessageTypeDefinition<_pairdb_v1_MigrationProgress, _pairdb_v1_MigrationProgress__Output>
      MigrationState: EnumTypeDefinition
      MigrationStatus: MessageTypeDefinition<_pairdb_v1_MigrationStatus, _pairdb_v1_MigrationStatus__Output>
      MigrationType: EnumTypeDefinition
      NodeChangeResponse: MessageTypeDefinition<_pairdb_v1_NodeChangeResponse, _pairdb_v1_NodeChangeResponse__Output>
      NodeState: EnumTypeDefinition
      PipeError: MessageTypeDefinition<_pairdb_v1_PipeError, _pairdb_v1_PipeError__Output>
      RangeDigestRequest: MessageTypeDefinition<_pairdb_v1_RangeDigestRequest, _pairdb_v1_RangeDigestRequest__Output>
      RangeDigestResult: MessageTypeDefinition<_pairdb_v1_RangeDigestResult, _pairdb_v1_RangeDigestResult__Output>
      RangeSpec: MessageTypeDefinition<_pairdb_v1_RangeSpec, _pairdb_v1_RangeSpec__Output>
      ReadKeyValueRequest: MessageTypeDefinition<_pairdb_v1_ReadKeyValueRequest, _pairdb_v1_ReadKeyValueRequest__Output>
      ReadKeyValueResponse: MessageTypeDefinition<_pairdb_v1_ReadKeyValueResponse, _pairdb_v1_ReadKeyValueResponse__Output>
      ReadRequest: MessageTypeDefinition<_pairdb_v1_ReadRequest, _pairdb_v1_ReadRequest__Output>
      ReadResponse: MessageTypeDefinition<_pairdb_v1_ReadResponse, _pairdb_v1_ReadResponse__Output>
      RemoveStorageNodeRequest: MessageTypeDefinition<_pairdb_v1_RemoveStorageNodeRequest, _pairdb_v1_RemoveStorageNodeRequest__Output>
      RepairProgress: MessageTypeDefinition<_pairdb_v1_RepairProgress, _pairdb_v1_RepairProgress__Output>
      RepairRequest: MessageTypeDefinition<_pairdb_v1_RepairRequest, _pairdb_v1_RepairRequest__Output>
      RepairState: EnumTypeDefinition
      RingMember: MessageTypeDefinition<_pairdb_v1_RingMember, _pairdb_v1_RingMember__Output>
      ScanCursor: MessageTypeDefinition<_pairdb_v1_ScanCursor, _pairdb_v1_ScanCursor__Output>
      ScanRangeBatch: MessageTypeDefinition<_pairdb_v1_ScanRangeBatch, _pairdb_v1_ScanRangeBatch__Output>
      ScanRangeRequest: MessageTypeDefinition<_pairdb_v1_ScanRangeRequest, _pairdb_v1_ScanRangeRequest__Output>
      ServingState: EnumTypeDefinition
      Sibling: MessageTypeDefinition<_pairdb_v1_Sibling, _pairdb_v1_Sibling__Output>
      SnapshotInfo: MessageTypeDefinition<_pairdb_v1_SnapshotInfo, _pairdb_v1_SnapshotInfo__Output>
      SnapshotRequest: MessageTypeDefinition<_pairdb_v1_SnapshotRequest, _pairdb_v1_SnapshotRequest__Output>
      SnapshotResponse: MessageTypeDefinition<_pairdb_v1_SnapshotResponse, _pairdb_v1_SnapshotResponse__Output>
      StartStreamingRequest: MessageTypeDefinition<_pairdb_v1_StartStreamingRequest, _pairdb_v1_StartStreamingRequest__Output>
      StartStreamingResponse: MessageTypeDefinition<_pairdb_v1_StartStreamingResponse, _pairdb_v1_StartStreamingResponse__Output>
      StatsRequest: MessageTypeDefinition<_pairdb_v1_StatsRequest, _pairdb_v1_StatsRequest__Output>
      StatsResponse: MessageTypeDefinition<_pairdb_v1_StatsResponse, _pairdb_v1_StatsResponse__Output>
      StopStreamingRequest: MessageTypeDefinition<_pairdb_v1_StopStreamingRequest, _pairdb_v1_StopStreamingRequest__Output>
      StorageNodeInfo: MessageTypeDefinition<_pairdb_v1_StorageNodeInfo, _pairdb_v1_StorageNodeInfo__Output>
      StoragePipeBatch: MessageTypeDefinition<_pairdb_v1_StoragePipeBatch, _pairdb_v1_StoragePipeBatch__Output>
      StoragePipeEntry: MessageTypeDefinition<_pairdb_v1_StoragePipeEntry, _pairdb_v1_StoragePipeEntry__Output>
      StorageService: SubtypeConstructor<typeof grpc.Client, _pairdb_v1_StorageServiceClient> & { service: _pairdb_v1_StorageServiceDefinition }
      StreamState: EnumTypeDefinition
      StreamStatus: MessageTypeDefinition<_pairdb_v1_StreamStatus, _pairdb_v1_StreamStatus__Output>
      Tenant: MessageTypeDefinition<_pairdb_v1_Tenant, _pairdb_v1_Tenant__Output>
      TenantResponse: MessageTypeDefinition<_pairdb_v1_TenantResponse, _pairdb_v1_TenantResponse__Output>
      UpdateReplicationFactorRequest: MessageTypeDefinition<_pairdb_v1_UpdateReplicationFactorRequest, _pairdb_v1_UpdateReplicationFactorRequest__Output>
      UpdateReplicationFactorResponse: MessageTypeDefinition<_pairdb_v1_UpdateReplicationFactorResponse, _pairdb_v1_UpdateReplicationFactorResponse__Output>
      UpdateTenantRequest: MessageTypeDefinition<_pairdb_v1_UpdateTenantRequest, _pairdb_v1_UpdateTenantRequest__Output>
      VectorClock: MessageTypeDefinition<_pairdb_v1_VectorClock, _pairdb_v1_VectorClock__Output>
      VectorClockEntry: MessageTypeDefinition<_pairdb_v1_VectorClockEntry, _pairdb_v1_VectorClockEntry__Output>
      Version: MessageTypeDefinition<_pairdb_v1_Version, _pairdb_v1_Version__Output>
      WriteIdEntry: MessageTypeDefinition<_pairdb_v1_WriteIdEntry, _pairdb_v1_WriteIdEntry__Output>
      WriteKeyValueRequest: MessageTypeDefinition<_pairdb_v1_WriteKeyValueRequest, _pairdb_v1_WriteKeyValueRequest__Output>
      WriteKeyValueResponse: MessageTypeDefinition<_pairdb_v1_WriteKeyValueResponse, _pairdb_v1_WriteKeyValueResponse__Output>
      WriteOutcome: EnumTypeDefinition
      WritePurpose: EnumTypeDefinition
      WriteRequest: MessageTypeDefinition<_pairdb_v1_WriteRequest, _pairdb_v1_WriteRequest__Output>
      WriteResponse: MessageTypeDefinition<_pairdb_v1_WriteResponse, _pairdb_v1_WriteResponse__Output>
    }
  }
}

