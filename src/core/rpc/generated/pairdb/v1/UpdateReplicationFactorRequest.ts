// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface UpdateReplicationFactorRequest {
  'tenant_id'?: (string);
  'new_replication_factor'?: (number);
}

export interface UpdateReplicationFactorRequest__Output {
  'tenant_id': (string);
  'new_replication_factor': (number);
}
