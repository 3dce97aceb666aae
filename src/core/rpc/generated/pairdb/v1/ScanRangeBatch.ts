// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { KeyRecord as _pairdb_v1_KeyRecord, KeyRecord__Output as _pairdb_v1_KeyRecord__Output } from '../../pairdb/v1/KeyRecord.js';
import type { ScanCursor as _pairdb_v1_ScanCursor, ScanCursor__Output as _pairdb_v1_ScanCursor__Output } from '../../pairdb/v1/ScanCursor.js';

export interface ScanRangeBatch {
  'records'?: (_pairdb_v1_KeyRecord)[];
  'cursor'?: (_pairdb_v1_ScanCursor | null);
  'done'?: (boolean);
}

export interface ScanRangeBatch__Output {
  'records': (_pairdb_v1_KeyRecord__Output)[];
  'cursor': (_pairdb_v1_ScanCursor__Output | null);
  'done': (boolean);
}
