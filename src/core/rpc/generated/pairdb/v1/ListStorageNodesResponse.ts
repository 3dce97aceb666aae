// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { StorageNodeInfo as _pairdb_v1_StorageNodeInfo, StorageNodeInfo__Output as _pairdb_v1_StorageNodeInfo__Output } from '../../pairdb/v1/StorageNodeInfo.js';

export interface ListStorageNodesResponse {
  'nodes'?: (_pairdb_v1_StorageNodeInfo)[];
}

export interface ListStorageNodesResponse__Output {
  'nodes': (_pairdb_v1_StorageNodeInfo__Output)[];
}
