// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { WriteRequest as _pairdb_v1_WriteRequest, WriteRequest__Output as _pairdb_v1_WriteRequest__Output } from '../../pairdb/v1/WriteRequest.js';
import type { ReadRequest as _pairdb_v1_ReadRequest, ReadRequest__Output as _pairdb_v1_ReadRequest__Output } from '../../pairdb/v1/ReadRequest.js';
import type { WriteResponse as _pairdb_v1_WriteResponse, WriteResponse__Output as _pairdb_v1_WriteResponse__Output } from '../../pairdb/v1/WriteResponse.js';
import type { ReadResponse as _pairdb_v1_ReadResponse, ReadResponse__Output as _pairdb_v1_ReadResponse__Output } from '../../pairdb/v1/ReadResponse.js';
import type { PipeError as _pairdb_v1_PipeError, PipeError__Output as _pairdb_v1_PipeError__Output } from '../../pairdb/v1/PipeError.js';
import type { Long } from '@grpc/proto-loader';

export interface StoragePipeEntry {
  'id'?: (number | string | Long);
  'deadline_ms'?: (number | string | Long);
  'request_id'?: (string);
  'write'?: (_pairdb_v1_WriteRequest | null);
  'read'?: (_pairdb_v1_ReadRequest | null);
  'write_ok'?: (_pairdb_v1_WriteResponse | null);
  'read_ok'?: (_pairdb_v1_ReadResponse | null);
  'error'?: (_pairdb_v1_PipeError | null);
  'body'?: "write"|"read"|"write_ok"|"read_ok"|"error";
}

export interface StoragePipeEntry__Output {
  'id': (string);
  'deadline_ms': (string);
  'request_id': (string);
  'write'?: (_pairdb_v1_WriteRequest__Output | null);
  'read'?: (_pairdb_v1_ReadRequest__Output | null);
  'write_ok'?: (_pairdb_v1_WriteResponse__Output | null);
  'read_ok'?: (_pairdb_v1_ReadResponse__Output | null);
  'error'?: (_pairdb_v1_PipeError__Output | null);
  'body'?: "write"|"read"|"write_ok"|"read_ok"|"error";
}
