// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { RangeSpec as _pairdb_v1_RangeSpec, RangeSpec__Output as _pairdb_v1_RangeSpec__Output } from '../../pairdb/v1/RangeSpec.js';
import type { ScanCursor as _pairdb_v1_ScanCursor, ScanCursor__Output as _pairdb_v1_ScanCursor__Output } from '../../pairdb/v1/ScanCursor.js';
import type { Long } from '@grpc/proto-loader';

export interface StartStreamingRequest {
  'stream_id'?: (string);
  'target_node_id'?: (string);
  'target_address'?: (string);
  'spec'?: (_pairdb_v1_RangeSpec | null);
  'resume_after'?: (_pairdb_v1_ScanCursor | null);
  'batch_size'?: (number);
  'max_bytes_per_sec'?: (number | string | Long);
}

export interface StartStreamingRequest__Output {
  'stream_id': (string);
  'target_node_id': (string);
  'target_address': (string);
  'spec': (_pairdb_v1_RangeSpec__Output | null);
  'resume_after': (_pairdb_v1_ScanCursor__Output | null);
  'batch_size': (number);
  'max_bytes_per_sec': (string);
}
