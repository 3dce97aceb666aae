// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface CoordinatorInfo {
  'coordinator_id'?: (string);
  'address'?: (string);
  'epoch_acked'?: (number | string | Long);
  'heartbeat_at_ms'?: (number | string | Long);
}

export interface CoordinatorInfo__Output {
  'coordinator_id': (string);
  'address': (string);
  'epoch_acked': (string);
  'heartbeat_at_ms': (string);
}
