// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface StartStreamingResponse {
  'stream_id'?: (string);
  'already_running'?: (boolean);
}

export interface StartStreamingResponse__Output {
  'stream_id': (string);
  'already_running': (boolean);
}
