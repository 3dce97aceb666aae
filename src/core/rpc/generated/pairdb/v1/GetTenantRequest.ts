// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface GetTenantRequest {
  'tenant_id'?: (string);
}

export interface GetTenantRequest__Output {
  'tenant_id': (string);
}
