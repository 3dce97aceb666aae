// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { RepairState as _pairdb_v1_RepairState, RepairState__Output as _pairdb_v1_RepairState__Output } from '../../pairdb/v1/RepairState.js';
import type { HashRange as _pairdb_v1_HashRange, HashRange__Output as _pairdb_v1_HashRange__Output } from '../../pairdb/v1/HashRange.js';
import type { Long } from '@grpc/proto-loader';

export interface RepairProgress {
  'run_id'?: (string);
  'state'?: (_pairdb_v1_RepairState);
  'ranges_total'?: (number);
  'ranges_done'?: (number);
  'ranges_skipped'?: (number);
  'leaves_mismatched'?: (number | string | Long);
  'keys_repaired'?: (number | string | Long);
  'bytes_streamed'?: (number | string | Long);
  'message'?: (string);
  'skipped_ranges'?: (_pairdb_v1_HashRange)[];
}

export interface RepairProgress__Output {
  'run_id': (string);
  'state': (_pairdb_v1_RepairState__Output);
  'ranges_total': (number);
  'ranges_done': (number);
  'ranges_skipped': (number);
  'leaves_mismatched': (string);
  'keys_repaired': (string);
  'bytes_streamed': (string);
  'message': (string);
  'skipped_ranges': (_pairdb_v1_HashRange__Output)[];
}
