// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddStorageNodeRequest as _pairdb_v1_AddStorageNodeRequest, AddStorageNodeRequest__Output as _pairdb_v1_AddStorageNodeRequest__Output } from '../../pairdb/v1/AddStorageNodeRequest.js';
import type { ClientPipeBatch as _pairdb_v1_ClientPipeBatch, ClientPipeBatch__Output as _pairdb_v1_ClientPipeBatch__Output } from '../../pairdb/v1/ClientPipeBatch.js';
import type { ClusterStatusRequest as _pairdb_v1_ClusterStatusRequest, ClusterStatusRequest__Output as _pairdb_v1_ClusterStatusRequest__Output } from '../../pairdb/v1/ClusterStatusRequest.js';
import type { ClusterStatusResponse as _pairdb_v1_ClusterStatusResponse, ClusterStatusResponse__Output as _pairdb_v1_ClusterStatusResponse__Output } from '../../pairdb/v1/ClusterStatusResponse.js';
import type { CreateTenantRequest as _pairdb_v1_CreateTenantRequest, CreateTenantRequest__Output as _pairdb_v1_CreateTenantRequest__Output } from '../../pairdb/v1/CreateTenantRequest.js';
import type { DeleteKeyValueRequest as _pairdb_v1_DeleteKeyValueRequest, DeleteKeyValueRequest__Output as _pairdb_v1_DeleteKeyValueRequest__Output } from '../../pairdb/v1/DeleteKeyValueRequest.js';
import type { DeleteKeyValueResponse as _pairdb_v1_DeleteKeyValueResponse, DeleteKeyValueResponse__Output as _pairdb_v1_DeleteKeyValueResponse__Output } from '../../pairdb/v1/DeleteKeyValueResponse.js';
import type { GetMigrationStatusRequest as _pairdb_v1_GetMigrationStatusRequest, GetMigrationStatusRequest__Output as _pairdb_v1_GetMigrationStatusRequest__Output } from '../../pairdb/v1/GetMigrationStatusRequest.js';
import type { GetTenantRequest as _pairdb_v1_GetTenantRequest, GetTenantRequest__Output as _pairdb_v1_GetTenantRequest__Output } from '../../pairdb/v1/GetTenantRequest.js';
import type { ListStorageNodesRequest as _pairdb_v1_ListStorageNodesRequest, ListStorageNodesRequest__Output as _pairdb_v1_ListStorageNodesRequest__Output } from '../../pairdb/v1/ListStorageNodesRequest.js';
import type { ListStorageNodesResponse as _pairdb_v1_ListStorageNodesResponse, ListStorageNodesResponse__Output as _pairdb_v1_ListStorageNodesResponse__Output } from '../../pairdb/v1/ListStorageNodesResponse.js';
import type { ListTenantsRequest as _pairdb_v1_ListTenantsRequest, ListTenantsRequest__Output as _pairdb_v1_ListTenantsRequest__Output } from '../../pairdb/v1/ListTenantsRequest.js';
import type { ListTenantsResponse as _pairdb_v1_ListTenantsResponse, ListTenantsResponse__Output as _pairdb_v1_ListTenantsResponse__Output } from '../../pairdb/v1/ListTenantsResponse.js';
import type { MigrationStatus as _pairdb_v1_MigrationStatus, MigrationStatus__Output as _pairdb_v1_MigrationStatus__Output } from '../../pairdb/v1/MigrationStatus.js';
import type { NodeChangeResponse as _pairdb_v1_NodeChangeResponse, NodeChangeResponse__Output as _pairdb_v1_NodeChangeResponse__Output } from '../../pairdb/v1/NodeChangeResponse.js';
import type { ReadKeyValueRequest as _pairdb_v1_ReadKeyValueRequest, ReadKeyValueRequest__Output as _pairdb_v1_ReadKeyValueRequest__Output } from '../../pairdb/v1/ReadKeyValueRequest.js';
import type { ReadKeyValueResponse as _pairdb_v1_ReadKeyValueResponse, ReadKeyValueResponse__Output as _pairdb_v1_ReadKeyValueResponse__Output } from '../../pairdb/v1/ReadKeyValueResponse.js';
import type { RemoveStorageNodeRequest as _pairdb_v1_RemoveStorageNodeRequest, RemoveStorageNodeRequest__Output as _pairdb_v1_RemoveStorageNodeRequest__Output } from '../../pairdb/v1/RemoveStorageNodeRequest.js';
import type { RepairProgress as _pairdb_v1_RepairProgress, RepairProgress__Output as _pairdb_v1_RepairProgress__Output } from '../../pairdb/v1/RepairProgress.js';
import type { RepairRequest as _pairdb_v1_RepairRequest, RepairRequest__Output as _pairdb_v1_RepairRequest__Output } from '../../pairdb/v1/RepairRequest.js';
import type { TenantResponse as _pairdb_v1_TenantResponse, TenantResponse__Output as _pairdb_v1_TenantResponse__Output } from '../../pairdb/v1/TenantResponse.js';
import type { UpdateReplicationFactorRequest as _pairdb_v1_UpdateReplicationFactorRequest, UpdateReplicationFactorRequest__Output as _pairdb_v1_UpdateReplicationFactorRequest__Output } from '../../pairdb/v1/UpdateReplicationFactorRequest.js';
import type { UpdateReplicationFactorResponse as _pairdb_v1_UpdateReplicationFactorResponse, UpdateReplicationFactorResponse__Output as _pairdb_v1_UpdateReplicationFactorResponse__Output } from '../../pairdb/v1/UpdateReplicationFactorResponse.js';
import type { UpdateTenantRequest as _pairdb_v1_UpdateTenantRequest, UpdateTenantRequest__Output as _pairdb_v1_UpdateTenantRequest__Output } from '../../pairdb/v1/UpdateTenantRequest.js';
import type { WriteKeyValueRequest as _pairdb_v1_WriteKeyValueRequest, WriteKeyValueRequest__Output as _pairdb_v1_WriteKeyValueRequest__Output } from '../../pairdb/v1/WriteKeyValueRequest.js';
import type { WriteKeyValueResponse as _pairdb_v1_WriteKeyValueResponse, WriteKeyValueResponse__Output as _pairdb_v1_WriteKeyValueResponse__Output } from '../../pairdb/v1/WriteKeyValueResponse.js';

export interface CoordinatorServiceClient extends grpc.Client {
  AddStorageNode(argument: _pairdb_v1_AddStorageNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  AddStorageNode(argument: _pairdb_v1_AddStorageNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  AddStorageNode(argument: _pairdb_v1_AddStorageNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  AddStorageNode(argument: _pairdb_v1_AddStorageNodeRequest, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  addStorageNode(argument: _pairdb_v1_AddStorageNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  addStorageNode(argument: _pairdb_v1_AddStorageNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  addStorageNode(argument: _pairdb_v1_AddStorageNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  addStorageNode(argument: _pairdb_v1_AddStorageNodeRequest, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  
  ClusterStatus(argument: _pairdb_v1_ClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _pairdb_v1_ClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _pairdb_v1_ClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _pairdb_v1_ClusterStatusRequest, callback: grpc.requestCallback<_pairdb_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _pairdb_v1_ClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _pairdb_v1_ClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _pairdb_v1_ClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _pairdb_v1_ClusterStatusRequest, callback: grpc.requestCallback<_pairdb_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  
  CreateTenant(argument: _pairdb_v1_CreateTenantRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  CreateTenant(argument: _pairdb_v1_CreateTenantRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  CreateTenant(argument: _pairdb_v1_CreateTenantRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  CreateTenant(argument: _pairdb_v1_CreateTenantRequest, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  createTenant(argument: _pairdb_v1_CreateTenantRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  createTenant(argument: _pairdb_v1_CreateTenantRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  createTenant(argument: _pairdb_v1_CreateTenantRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  createTenant(argument: _pairdb_v1_CreateTenantRequest, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  
  DeleteKeyValue(argument: _pairdb_v1_DeleteKeyValueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_DeleteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  DeleteKeyValue(argument: _pairdb_v1_DeleteKeyValueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_DeleteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  DeleteKeyValue(argument: _pairdb_v1_DeleteKeyValueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_DeleteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  DeleteKeyValue(argument: _pairdb_v1_DeleteKeyValueRequest, callback: grpc.requestCallback<_pairdb_v1_DeleteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  deleteKeyValue(argument: _pairdb_v1_DeleteKeyValueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_DeleteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  deleteKeyValue(argument: _pairdb_v1_DeleteKeyValueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_DeleteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  deleteKeyValue(argument: _pairdb_v1_DeleteKeyValueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_DeleteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  deleteKeyValue(argument: _pairdb_v1_DeleteKeyValueRequest, callback: grpc.requestCallback<_pairdb_v1_DeleteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  
  GetMigrationStatus(argument: _pairdb_v1_GetMigrationStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_MigrationStatus__Output>): grpc.ClientUnaryCall;
  GetMigrationStatus(argument: _pairdb_v1_GetMigrationStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_MigrationStatus__Output>): grpc.ClientUnaryCall;
  GetMigrationStatus(argument: _pairdb_v1_GetMigrationStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_MigrationStatus__Output>): grpc.ClientUnaryCall;
  GetMigrationStatus(argument: _pairdb_v1_GetMigrationStatusRequest, callback: grpc.requestCallback<_pairdb_v1_MigrationStatus__Output>): grpc.ClientUnaryCall;
  getMigrationStatus(argument: _pairdb_v1_GetMigrationStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_MigrationStatus__Output>): grpc.ClientUnaryCall;
  getMigrationStatus(argument: _pairdb_v1_GetMigrationStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_MigrationStatus__Output>): grpc.ClientUnaryCall;
  getMigrationStatus(argument: _pairdb_v1_GetMigrationStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_MigrationStatus__Output>): grpc.ClientUnaryCall;
  getMigrationStatus(argument: _pairdb_v1_GetMigrationStatusRequest, callback: grpc.requestCallback<_pairdb_v1_MigrationStatus__Output>): grpc.ClientUnaryCall;
  
  GetTenant(argument: _pairdb_v1_GetTenantRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  GetTenant(argument: _pairdb_v1_GetTenantRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  GetTenant(argument: _pairdb_v1_GetTenantRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  GetTenant(argument: _pairdb_v1_GetTenantRequest, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  getTenant(argument: _pairdb_v1_GetTenantRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  getTenant(argument: _pairdb_v1_GetTenantRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  getTenant(argument: _pairdb_v1_GetTenantRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  getTenant(argument: _pairdb_v1_GetTenantRequest, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  
  ListStorageNodes(argument: _pairdb_v1_ListStorageNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ListStorageNodesResponse__Output>): grpc.ClientUnaryCall;
  ListStorageNodes(argument: _pairdb_v1_ListStorageNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_ListStorageNodesResponse__Output>): grpc.ClientUnaryCall;
  ListStorageNodes(argument: _pairdb_v1_ListStorageNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ListStorageNodesResponse__Output>): grpc.ClientUnaryCall;
  ListStorageNodes(argument: _pairdb_v1_ListStorageNodesRequest, callback: grpc.requestCallback<_pairdb_v1_ListStorageNodesResponse__Output>): grpc.ClientUnaryCall;
  listStorageNodes(argument: _pairdb_v1_ListStorageNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ListStorageNodesResponse__Output>): grpc.ClientUnaryCall;
  listStorageNodes(argument: _pairdb_v1_ListStorageNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_ListStorageNodesResponse__Output>): grpc.ClientUnaryCall;
  listStorageNodes(argument: _pairdb_v1_ListStorageNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ListStorageNodesResponse__Output>): grpc.ClientUnaryCall;
  listStorageNodes(argument: _pairdb_v1_ListStorageNodesRequest, callback: grpc.requestCallback<_pairdb_v1_ListStorageNodesResponse__Output>): grpc.ClientUnaryCall;
  
  ListTenants(argument: _pairdb_v1_ListTenantsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ListTenantsResponse__Output>): grpc.ClientUnaryCall;
  ListTenants(argument: _pairdb_v1_ListTenantsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_ListTenantsResponse__Output>): grpc.ClientUnaryCall;
  ListTenants(argument: _pairdb_v1_ListTenantsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ListTenantsResponse__Output>): grpc.ClientUnaryCall;
  ListTenants(argument: _pairdb_v1_ListTenantsRequest, callback: grpc.requestCallback<_pairdb_v1_ListTenantsResponse__Output>): grpc.ClientUnaryCall;
  listTenants(argument: _pairdb_v1_ListTenantsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ListTenantsResponse__Output>): grpc.ClientUnaryCall;
  listTenants(argument: _pairdb_v1_ListTenantsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_ListTenantsResponse__Output>): grpc.ClientUnaryCall;
  listTenants(argument: _pairdb_v1_ListTenantsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ListTenantsResponse__Output>): grpc.ClientUnaryCall;
  listTenants(argument: _pairdb_v1_ListTenantsRequest, callback: grpc.requestCallback<_pairdb_v1_ListTenantsResponse__Output>): grpc.ClientUnaryCall;
  
  Pipe(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_pairdb_v1_ClientPipeBatch, _pairdb_v1_ClientPipeBatch__Output>;
  Pipe(options?: grpc.CallOptions): grpc.ClientDuplexStream<_pairdb_v1_ClientPipeBatch, _pairdb_v1_ClientPipeBatch__Output>;
  pipe(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_pairdb_v1_ClientPipeBatch, _pairdb_v1_ClientPipeBatch__Output>;
  pipe(options?: grpc.CallOptions): grpc.ClientDuplexStream<_pairdb_v1_ClientPipeBatch, _pairdb_v1_ClientPipeBatch__Output>;
  
  ReadKeyValue(argument: _pairdb_v1_ReadKeyValueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ReadKeyValueResponse__Output>): grpc.ClientUnaryCall;
  ReadKeyValue(argument: _pairdb_v1_ReadKeyValueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_ReadKeyValueResponse__Output>): grpc.ClientUnaryCall;
  ReadKeyValue(argument: _pairdb_v1_ReadKeyValueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ReadKeyValueResponse__Output>): grpc.ClientUnaryCall;
  ReadKeyValue(argument: _pairdb_v1_ReadKeyValueRequest, callback: grpc.requestCallback<_pairdb_v1_ReadKeyValueResponse__Output>): grpc.ClientUnaryCall;
  readKeyValue(argument: _pairdb_v1_ReadKeyValueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ReadKeyValueResponse__Output>): grpc.ClientUnaryCall;
  readKeyValue(argument: _pairdb_v1_ReadKeyValueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_ReadKeyValueResponse__Output>): grpc.ClientUnaryCall;
  readKeyValue(argument: _pairdb_v1_ReadKeyValueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_ReadKeyValueResponse__Output>): grpc.ClientUnaryCall;
  readKeyValue(argument: _pairdb_v1_ReadKeyValueRequest, callback: grpc.requestCallback<_pairdb_v1_ReadKeyValueResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveStorageNode(argument: _pairdb_v1_RemoveStorageNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  RemoveStorageNode(argument: _pairdb_v1_RemoveStorageNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  RemoveStorageNode(argument: _pairdb_v1_RemoveStorageNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  RemoveStorageNode(argument: _pairdb_v1_RemoveStorageNodeRequest, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  removeStorageNode(argument: _pairdb_v1_RemoveStorageNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  removeStorageNode(argument: _pairdb_v1_RemoveStorageNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  removeStorageNode(argument: _pairdb_v1_RemoveStorageNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  removeStorageNode(argument: _pairdb_v1_RemoveStorageNodeRequest, callback: grpc.requestCallback<_pairdb_v1_NodeChangeResponse__Output>): grpc.ClientUnaryCall;
  
  Repair(argument: _pairdb_v1_RepairRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_pairdb_v1_RepairProgress__Output>;
  Repair(argument: _pairdb_v1_RepairRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_pairdb_v1_RepairProgress__Output>;
  repair(argument: _pairdb_v1_RepairRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_pairdb_v1_RepairProgress__Output>;
  repair(argument: _pairdb_v1_RepairRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_pairdb_v1_RepairProgress__Output>;
  
  UpdateReplicationFactor(argument: _pairdb_v1_UpdateReplicationFactorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_UpdateReplicationFactorResponse__Output>): grpc.ClientUnaryCall;
  UpdateReplicationFactor(argument: _pairdb_v1_UpdateReplicationFactorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_UpdateReplicationFactorResponse__Output>): grpc.ClientUnaryCall;
  UpdateReplicationFactor(argument: _pairdb_v1_UpdateReplicationFactorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_UpdateReplicationFactorResponse__Output>): grpc.ClientUnaryCall;
  UpdateReplicationFactor(argument: _pairdb_v1_UpdateReplicationFactorRequest, callback: grpc.requestCallback<_pairdb_v1_UpdateReplicationFactorResponse__Output>): grpc.ClientUnaryCall;
  updateReplicationFactor(argument: _pairdb_v1_UpdateReplicationFactorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_UpdateReplicationFactorResponse__Output>): grpc.ClientUnaryCall;
  updateReplicationFactor(argument: _pairdb_v1_UpdateReplicationFactorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_UpdateReplicationFactorResponse__Output>): grpc.ClientUnaryCall;
  updateReplicationFactor(argument: _pairdb_v1_UpdateReplicationFactorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_UpdateReplicationFactorResponse__Output>): grpc.ClientUnaryCall;
  updateReplicationFactor(argument: _pairdb_v1_UpdateReplicationFactorRequest, callback: grpc.requestCallback<_pairdb_v1_UpdateReplicationFactorResponse__Output>): grpc.ClientUnaryCall;
  
  UpdateTenant(argument: _pairdb_v1_UpdateTenantRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  UpdateTenant(argument: _pairdb_v1_UpdateTenantRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  UpdateTenant(argument: _pairdb_v1_UpdateTenantRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  UpdateTenant(argument: _pairdb_v1_UpdateTenantRequest, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  updateTenant(argument: _pairdb_v1_UpdateTenantRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  updateTenant(argument: _pairdb_v1_UpdateTenantRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  updateTenant(argument: _pairdb_v1_UpdateTenantRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  updateTenant(argument: _pairdb_v1_UpdateTenantRequest, callback: grpc.requestCallback<_pairdb_v1_TenantResponse__Output>): grpc.ClientUnaryCall;
  
  WriteKeyValue(argument: _pairdb_v1_WriteKeyValueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_WriteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  WriteKeyValue(argument: _pairdb_v1_WriteKeyValueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_WriteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  WriteKeyValue(argument: _pairdb_v1_WriteKeyValueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_WriteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  WriteKeyValue(argument: _pairdb_v1_WriteKeyValueRequest, callback: grpc.requestCallback<_pairdb_v1_WriteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  writeKeyValue(argument: _pairdb_v1_WriteKeyValueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_WriteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  writeKeyValue(argument: _pairdb_v1_WriteKeyValueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pairdb_v1_WriteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  writeKeyValue(argument: _pairdb_v1_WriteKeyValueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pairdb_v1_WriteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  writeKeyValue(argument: _pairdb_v1_WriteKeyValueRequest, callback: grpc.requestCallback<_pairdb_v1_WriteKeyValueResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface CoordinatorServiceHandlers extends grpc.UntypedServiceImplementation {
  AddStorageNode: grpc.handleUnaryCall<_pairdb_v1_AddStorageNodeRequest__Output, _pairdb_v1_NodeChangeResponse>;
  
  ClusterStatus: grpc.handleUnaryCall<_pairdb_v1_ClusterStatusRequest__Output, _pairdb_v1_ClusterStatusResponse>;
  
  CreateTenant: grpc.handleUnaryCall<_pairdb_v1_CreateTenantRequest__Output, _pairdb_v1_TenantResponse>;
  
  DeleteKeyValue: grpc.handleUnaryCall<_pairdb_v1_DeleteKeyValueRequest__Output, _pairdb_v1_DeleteKeyValueResponse>;
  
  GetMigrationStatus: grpc.handleUnaryCall<_pairdb_v1_GetMigrationStatusRequest__Output, _pairdb_v1_MigrationStatus>;
  
  GetTenant: grpc.handleUnaryCall<_pairdb_v1_GetTenantRequest__Output, _pairdb_v1_TenantResponse>;
  
  ListStorageNodes: grpc.handleUnaryCall<_pairdb_v1_ListStorageNodesRequest__Output, _pairdb_v1_ListStorageNodesResponse>;
  
  ListTenants: grpc.handleUnaryCall<_pairdb_v1_ListTenantsRequest__Output, _pairdb_v1_ListTenantsResponse>;
  
  Pipe: grpc.handleBidiStreamingCall<_pairdb_v1_ClientPipeBatch__Output, _pairdb_v1_ClientPipeBatch>;
  
  ReadKeyValue: grpc.handleUnaryCall<_pairdb_v1_ReadKeyValueRequest__Output, _pairdb_v1_ReadKeyValueResponse>;
  
  RemoveStorageNode: grpc.handleUnaryCall<_pairdb_v1_RemoveStorageNodeRequest__Output, _pairdb_v1_NodeChangeResponse>;
  
  Repair: grpc.handleServerStreamingCall<_pairdb_v1_RepairRequest__Output, _pairdb_v1_RepairProgress>;
  
  UpdateReplicationFactor: grpc.handleUnaryCall<_pairdb_v1_UpdateReplicationFactorRequest__Output, _pairdb_v1_UpdateReplicationFactorResponse>;
  
  UpdateTenant: grpc.handleUnaryCall<_pairdb_v1_UpdateTenantRequest__Output, _pairdb_v1_TenantResponse>;
  
  WriteKeyValue: grpc.handleUnaryCall<_pairdb_v1_WriteKeyValueRequest__Output, _pairdb_v1_WriteKeyValueResponse>;
  
}

export interface CoordinatorServiceDefinition extends grpc.ServiceDefinition {
  AddStorageNode: MethodDefinition<_pairdb_v1_AddStorageNodeRequest, _pairdb_v1_NodeChangeResponse, _pairdb_v1_AddStorageNodeRequest__Output, _pairdb_v1_NodeChangeResponse__Output>
  ClusterStatus: MethodDefinition<_pairdb_v1_ClusterStatusRequest, _pairdb_v1_ClusterStatusResponse, _pairdb_v1_ClusterStatusRequest__Output, _pairdb_v1_ClusterStatusResponse__Output>
  CreateTenant: MethodDefinition<_pairdb_v1_CreateTenantRequest, _pairdb_v1_TenantResponse, _pairdb_v1_CreateTenantRequest__Output, _pairdb_v1_TenantResponse__Output>
  DeleteKeyValue: MethodDefinition<_pairdb_v1_DeleteKeyValueRequest, _pairdb_v1_DeleteKeyValueResponse, _pairdb_v1_DeleteKeyValueRequest__Output, _pairdb_v1_DeleteKeyValueResponse__Output>
  GetMigrationStatus: MethodDefinition<_pairdb_v1_GetMigrationStatusRequest, _pairdb_v1_MigrationStatus, _pairdb_v1_GetMigrationStatusRequest__Output, _pairdb_v1_MigrationStatus__Output>
  GetTenant: MethodDefinition<_pairdb_v1_GetTenantRequest, _pairdb_v1_TenantResponse, _pairdb_v1_GetTenantRequest__Output, _pairdb_v1_TenantResponse__Output>
  ListStorageNodes: MethodDefinition<_pairdb_v1_ListStorageNodesRequest, _pairdb_v1_ListStorageNodesResponse, _pairdb_v1_ListStorageNodesRequest__Output, _pairdb_v1_ListStorageNodesResponse__Output>
  ListTenants: MethodDefinition<_pairdb_v1_ListTenantsRequest, _pairdb_v1_ListTenantsResponse, _pairdb_v1_ListTenantsRequest__Output, _pairdb_v1_ListTenantsResponse__Output>
  Pipe: MethodDefinition<_pairdb_v1_ClientPipeBatch, _pairdb_v1_ClientPipeBatch, _pairdb_v1_ClientPipeBatch__Output, _pairdb_v1_ClientPipeBatch__Output>
  ReadKeyValue: MethodDefinition<_pairdb_v1_ReadKeyValueRequest, _pairdb_v1_ReadKeyValueResponse, _pairdb_v1_ReadKeyValueRequest__Output, _pairdb_v1_ReadKeyValueResponse__Output>
  RemoveStorageNode: MethodDefinition<_pairdb_v1_RemoveStorageNodeRequest, _pairdb_v1_NodeChangeResponse, _pairdb_v1_RemoveStorageNodeRequest__Output, _pairdb_v1_NodeChangeResponse__Output>
  Repair: MethodDefinition<_pairdb_v1_RepairRequest, _pairdb_v1_RepairProgress, _pairdb_v1_RepairRequest__Output, _pairdb_v1_RepairProgress__Output>
  UpdateReplicationFactor: MethodDefinition<_pairdb_v1_UpdateReplicationFactorRequest, _pairdb_v1_UpdateReplicationFactorResponse, _pairdb_v1_UpdateReplicationFactorRequest__Output, _pairdb_v1_UpdateReplicationFactorResponse__Output>
  UpdateTenant: MethodDefinition<_pairdb_v1_UpdateTenantRequest, _pairdb_v1_TenantResponse, _pairdb_v1_UpdateTenantRequest__Output, _pairdb_v1_TenantResponse__Output>
  WriteKeyValue: MethodDefinition<_pairdb_v1_WriteKeyValueRequest, _pairdb_v1_WriteKeyValueResponse, _pairdb_v1_WriteKeyValueRequest__Output, _pairdb_v1_WriteKeyValueResponse__Output>
}
