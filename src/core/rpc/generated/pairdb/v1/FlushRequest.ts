// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface FlushRequest {
  'wait'?: (boolean);
}

export interface FlushRequest__Output {
  'wait': (boolean);
}
