// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface StatsResponse {
  'node_id'?: (string);
  'key_count'?: (number | string | Long);
  'tombstone_count'?: (number | string | Long);
  'memtable_bytes'?: (number | string | Long);
  'sstables_per_level'?: ({[key: number]: number});
  'sstable_bytes'?: (number | string | Long);
  'commitlog_bytes'?: (number | string | Long);
  'cache_hit_rate'?: (number | string);
  'pending_compactions'?: (number);
  'gc_grace_ms'?: (number | string | Long);
  'disk_usage_percent'?: (number | string);
  'sstable_bytes_per_level'?: ({[key: number]: number | string | Long});
  'row_cache_hit_rate'?: (number | string);
  'block_cache_hit_rate'?: (number | string);
  'disk_state'?: (string);
  'commitlog_segments'?: (number);
}

export interface StatsResponse__Output {
  'node_id': (string);
  'key_count': (string);
  'tombstone_count': (string);
  'memtable_bytes': (string);
  'sstables_per_level': ({[key: number]: number});
  'sstable_bytes': (string);
  'commitlog_bytes': (string);
  'cache_hit_rate': (number);
  'pending_compactions': (number);
  'gc_grace_ms': (string);
  'disk_usage_percent': (number);
  'sstable_bytes_per_level': ({[key: number]: string});
  'row_cache_hit_rate': (number);
  'block_cache_hit_rate': (number);
  'disk_state': (string);
  'commitlog_segments': (number);
}
