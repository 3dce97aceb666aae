// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { WritePurpose as _pairdb_v1_WritePurpose, WritePurpose__Output as _pairdb_v1_WritePurpose__Output } from '../../pairdb/v1/WritePurpose.js';
import type { KeyRecord as _pairdb_v1_KeyRecord, KeyRecord__Output as _pairdb_v1_KeyRecord__Output } from '../../pairdb/v1/KeyRecord.js';
import type { Long } from '@grpc/proto-loader';

export interface BatchWriteRequest {
  'batch_seq'?: (number | string | Long);
  'purpose'?: (_pairdb_v1_WritePurpose);
  'records'?: (_pairdb_v1_KeyRecord)[];
  'stream_id'?: (string);
}

export interface BatchWriteRequest__Output {
  'batch_seq': (string);
  'purpose': (_pairdb_v1_WritePurpose__Output);
  'records': (_pairdb_v1_KeyRecord__Output)[];
  'stream_id': (string);
}
