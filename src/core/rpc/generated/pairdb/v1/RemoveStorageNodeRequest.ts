// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface RemoveStorageNodeRequest {
  'node_id'?: (string);
  'force'?: (boolean);
}

export interface RemoveStorageNodeRequest__Output {
  'node_id': (string);
  'force': (boolean);
}
