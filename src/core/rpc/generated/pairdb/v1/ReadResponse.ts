// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { KeyRecord as _pairdb_v1_KeyRecord, KeyRecord__Output as _pairdb_v1_KeyRecord__Output } from '../../pairdb/v1/KeyRecord.js';

export interface ReadResponse {
  'record'?: (_pairdb_v1_KeyRecord | null);
  'found'?: (boolean);
}

export interface ReadResponse__Output {
  'record': (_pairdb_v1_KeyRecord__Output | null);
  'found': (boolean);
}
