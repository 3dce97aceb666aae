// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface CompactResponse {
  'job_id'?: (string);
  'completed'?: (boolean);
  'bytes_reclaimed'?: (number | string | Long);
  'entries_dropped'?: (number | string | Long);
  'tables_in'?: (number);
  'tables_out'?: (number);
}

export interface CompactResponse__Output {
  'job_id': (string);
  'completed': (boolean);
  'bytes_reclaimed': (string);
  'entries_dropped': (string);
  'tables_in': (number);
  'tables_out': (number);
}
