// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface BatchWriteAck {
  'batch_seq'?: (number | string | Long);
  'applied'?: (number);
  'dominated'?: (number);
  'duplicate'?: (number);
}

export interface BatchWriteAck__Output {
  'batch_seq': (string);
  'applied': (number);
  'dominated': (number);
  'duplicate': (number);
}
