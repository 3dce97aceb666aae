// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface GetMigrationStatusRequest {
  'migration_id'?: (string);
}

export interface GetMigrationStatusRequest__Output {
  'migration_id': (string);
}
