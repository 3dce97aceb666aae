// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface ListStorageNodesRequest {
  'include_removed'?: (boolean);
}

export interface ListStorageNodesRequest__Output {
  'include_removed': (boolean);
}
