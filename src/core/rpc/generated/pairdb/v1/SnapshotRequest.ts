// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface SnapshotRequest {
  'name'?: (string);
  'list'?: (boolean);
  'clear'?: (string);
}

export interface SnapshotRequest__Output {
  'name': (string);
  'list': (boolean);
  'clear': (string);
}
