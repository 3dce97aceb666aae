// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface GetStreamStatusRequest {
  'stream_id'?: (string);
}

export interface GetStreamStatusRequest__Output {
  'stream_id': (string);
}
