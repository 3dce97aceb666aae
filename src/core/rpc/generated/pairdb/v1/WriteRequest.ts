// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { KeyRecord as _pairdb_v1_KeyRecord, KeyRecord__Output as _pairdb_v1_KeyRecord__Output } from '../../pairdb/v1/KeyRecord.js';
import type { WritePurpose as _pairdb_v1_WritePurpose, WritePurpose__Output as _pairdb_v1_WritePurpose__Output } from '../../pairdb/v1/WritePurpose.js';
import type { Long } from '@grpc/proto-loader';

export interface WriteRequest {
  'record'?: (_pairdb_v1_KeyRecord | null);
  'purpose'?: (_pairdb_v1_WritePurpose);
  'topology_epoch'?: (number | string | Long);
}

export interface WriteRequest__Output {
  'record': (_pairdb_v1_KeyRecord__Output | null);
  'purpose': (_pairdb_v1_WritePurpose__Output);
  'topology_epoch': (string);
}
