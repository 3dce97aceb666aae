// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface PipeError {
  'api_code'?: (string);
  'grpc_code'?: (number);
  'message'?: (string);
  'outcome'?: (string);
}

export interface PipeError__Output {
  'api_code': (string);
  'grpc_code': (number);
  'message': (string);
  'outcome': (string);
}
