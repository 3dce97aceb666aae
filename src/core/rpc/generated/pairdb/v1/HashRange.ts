// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface HashRange {
  'start'?: (number | string | Long);
  'end'?: (number | string | Long);
}

export interface HashRange__Output {
  'start': (string);
  'end': (string);
}
