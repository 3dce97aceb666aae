// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface FlushResponse {
  'sstables_written'?: (number);
  'entries_flushed'?: (number | string | Long);
  'bytes_written'?: (number | string | Long);
  'files'?: (number | string | Long)[];
}

export interface FlushResponse__Output {
  'sstables_written': (number);
  'entries_flushed': (string);
  'bytes_written': (string);
  'files': (string)[];
}
