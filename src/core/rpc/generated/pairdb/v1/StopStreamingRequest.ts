// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface StopStreamingRequest {
  'stream_id'?: (string);
}

export interface StopStreamingRequest__Output {
  'stream_id': (string);
}
