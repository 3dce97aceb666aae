// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface AddStorageNodeRequest {
  'node_id'?: (string);
  'host'?: (string);
  'port'?: (number);
  'virtual_nodes'?: (number);
}

export interface AddStorageNodeRequest__Output {
  'node_id': (string);
  'host': (string);
  'port': (number);
  'virtual_nodes': (number);
}
