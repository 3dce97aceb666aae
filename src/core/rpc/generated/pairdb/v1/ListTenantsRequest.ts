// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface ListTenantsRequest {
  'limit'?: (number);
  'cursor'?: (string);
}

export interface ListTenantsRequest__Output {
  'limit': (number);
  'cursor': (string);
}
