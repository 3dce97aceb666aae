// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface VectorClockEntry {
  'actor'?: (string);
  'counter'?: (number | string | Long);
}

export interface VectorClockEntry__Output {
  'actor': (string);
  'counter': (string);
}
