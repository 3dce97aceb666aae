// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { ClientPipeEntry as _pairdb_v1_ClientPipeEntry, ClientPipeEntry__Output as _pairdb_v1_ClientPipeEntry__Output } from '../../pairdb/v1/ClientPipeEntry.js';

export interface ClientPipeBatch {
  'entries'?: (_pairdb_v1_ClientPipeEntry)[];
}

export interface ClientPipeBatch__Output {
  'entries': (_pairdb_v1_ClientPipeEntry__Output)[];
}
