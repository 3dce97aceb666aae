// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { ServingState as _pairdb_v1_ServingState, ServingState__Output as _pairdb_v1_ServingState__Output } from '../../pairdb/v1/ServingState.js';
import type { Long } from '@grpc/proto-loader';

export interface HealthResponse {
  'node_id'?: (string);
  'state'?: (_pairdb_v1_ServingState);
  'generation'?: (number | string | Long);
  'disk_usage_percent'?: (number | string);
  'writes_throttled'?: (boolean);
  'writes_rejected'?: (boolean);
  'fence_epoch'?: (number | string | Long);
  'details'?: ({[key: string]: string});
}

export interface HealthResponse__Output {
  'node_id': (string);
  'state': (_pairdb_v1_ServingState__Output);
  'generation': (string);
  'disk_usage_percent': (number);
  'writes_throttled': (boolean);
  'writes_rejected': (boolean);
  'fence_epoch': (string);
  'details': ({[key: string]: string});
}
