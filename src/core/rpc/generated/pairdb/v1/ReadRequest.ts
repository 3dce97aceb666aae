// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadRequest {
  'tenant_id'?: (string);
  'key'?: (string);
  'topology_epoch'?: (number | string | Long);
}

export interface ReadRequest__Output {
  'tenant_id': (string);
  'key': (string);
  'topology_epoch': (string);
}
