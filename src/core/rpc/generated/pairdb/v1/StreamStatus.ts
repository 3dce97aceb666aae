// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { StreamState as _pairdb_v1_StreamState, StreamState__Output as _pairdb_v1_StreamState__Output } from '../../pairdb/v1/StreamState.js';
import type { ScanCursor as _pairdb_v1_ScanCursor, ScanCursor__Output as _pairdb_v1_ScanCursor__Output } from '../../pairdb/v1/ScanCursor.js';
import type { Long } from '@grpc/proto-loader';

export interface StreamStatus {
  'stream_id'?: (string);
  'state'?: (_pairdb_v1_StreamState);
  'keys_total'?: (number | string | Long);
  'keys_streamed'?: (number | string | Long);
  'bytes_streamed'?: (number | string | Long);
  'checkpoint'?: (_pairdb_v1_ScanCursor | null);
  'error'?: (string);
  'started_at_ms'?: (number | string | Long);
  'updated_at_ms'?: (number | string | Long);
}

export interface StreamStatus__Output {
  'stream_id': (string);
  'state': (_pairdb_v1_StreamState__Output);
  'keys_total': (string);
  'keys_streamed': (string);
  'bytes_streamed': (string);
  'checkpoint': (_pairdb_v1_ScanCursor__Output | null);
  'error': (string);
  'started_at_ms': (string);
  'updated_at_ms': (string);
}
