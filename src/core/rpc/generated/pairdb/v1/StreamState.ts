// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

export const StreamState = {
  STREAM_STATE_UNSPECIFIED: 'STREAM_STATE_UNSPECIFIED',
  STREAM_COUNTING: 'STREAM_COUNTING',
  STREAM_STREAMING: 'STREAM_STREAMING',
  STREAM_COMPLETED: 'STREAM_COMPLETED',
  STREAM_FAILED: 'STREAM_FAILED',
  STREAM_STOPPED: 'STREAM_STOPPED',
} as const;

export type StreamState =
  | 'STREAM_STATE_UNSPECIFIED'
  | 0
  | 'STREAM_COUNTING'
  | 1
  | 'STREAM_STREAMING'
  | 2
  | 'STREAM_COMPLETED'
  | 3
  | 'STREAM_FAILED'
  | 4
  | 'STREAM_STOPPED'
  | 5

export type StreamState__Output = typeof StreamState[keyof typeof StreamState]
