// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface RingMember {
  'node_id'?: (string);
  'address'?: (string);
}

export interface RingMember__Output {
  'node_id': (string);
  'address': (string);
}
