// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface ScanCursor {
  'tenant_id'?: (string);
  'key'?: (string);
}

export interface ScanCursor__Output {
  'tenant_id': (string);
  'key': (string);
}
