// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { StoragePipeEntry as _pairdb_v1_StoragePipeEntry, StoragePipeEntry__Output as _pairdb_v1_StoragePipeEntry__Output } from '../../pairdb/v1/StoragePipeEntry.js';

export interface StoragePipeBatch {
  'entries'?: (_pairdb_v1_StoragePipeEntry)[];
}

export interface StoragePipeBatch__Output {
  'entries': (_pairdb_v1_StoragePipeEntry__Output)[];
}
