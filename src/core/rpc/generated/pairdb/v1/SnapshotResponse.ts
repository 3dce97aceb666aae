// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { SnapshotInfo as _pairdb_v1_SnapshotInfo, SnapshotInfo__Output as _pairdb_v1_SnapshotInfo__Output } from '../../pairdb/v1/SnapshotInfo.js';

export interface SnapshotResponse {
  'snapshots'?: (_pairdb_v1_SnapshotInfo)[];
}

export interface SnapshotResponse__Output {
  'snapshots': (_pairdb_v1_SnapshotInfo__Output)[];
}
