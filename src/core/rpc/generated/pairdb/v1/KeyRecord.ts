// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Version as _pairdb_v1_Version, Version__Output as _pairdb_v1_Version__Output } from '../../pairdb/v1/Version.js';
import type { WriteIdEntry as _pairdb_v1_WriteIdEntry, WriteIdEntry__Output as _pairdb_v1_WriteIdEntry__Output } from '../../pairdb/v1/WriteIdEntry.js';

export interface KeyRecord {
  'tenant_id'?: (string);
  'key'?: (string);
  'versions'?: (_pairdb_v1_Version)[];
  'recent_writes'?: (_pairdb_v1_WriteIdEntry)[];
}

export interface KeyRecord__Output {
  'tenant_id': (string);
  'key': (string);
  'versions': (_pairdb_v1_Version__Output)[];
  'recent_writes': (_pairdb_v1_WriteIdEntry__Output)[];
}
