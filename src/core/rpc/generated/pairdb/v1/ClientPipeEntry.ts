// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { WriteKeyValueRequest as _pairdb_v1_WriteKeyValueRequest, WriteKeyValueRequest__Output as _pairdb_v1_WriteKeyValueRequest__Output } from '../../pairdb/v1/WriteKeyValueRequest.js';
import type { ReadKeyValueRequest as _pairdb_v1_ReadKeyValueRequest, ReadKeyValueRequest__Output as _pairdb_v1_ReadKeyValueRequest__Output } from '../../pairdb/v1/ReadKeyValueRequest.js';
import type { DeleteKeyValueRequest as _pairdb_v1_DeleteKeyValueRequest, DeleteKeyValueRequest__Output as _pairdb_v1_DeleteKeyValueRequest__Output } from '../../pairdb/v1/DeleteKeyValueRequest.js';
import type { WriteKeyValueResponse as _pairdb_v1_WriteKeyValueResponse, WriteKeyValueResponse__Output as _pairdb_v1_WriteKeyValueResponse__Output } from '../../pairdb/v1/WriteKeyValueResponse.js';
import type { ReadKeyValueResponse as _pairdb_v1_ReadKeyValueResponse, ReadKeyValueResponse__Output as _pairdb_v1_ReadKeyValueResponse__Output } from '../../pairdb/v1/ReadKeyValueResponse.js';
import type { DeleteKeyValueResponse as _pairdb_v1_DeleteKeyValueResponse, DeleteKeyValueResponse__Output as _pairdb_v1_DeleteKeyValueResponse__Output } from '../../pairdb/v1/DeleteKeyValueResponse.js';
import type { PipeError as _pairdb_v1_PipeError, PipeError__Output as _pairdb_v1_PipeError__Output } from '../../pairdb/v1/PipeError.js';
import type { Long } from '@grpc/proto-loader';

export interface ClientPipeEntry {
  'id'?: (number | string | Long);
  'deadline_ms'?: (number | string | Long);
  'request_id'?: (string);
  'write'?: (_pairdb_v1_WriteKeyValueRequest | null);
  'read'?: (_pairdb_v1_ReadKeyValueRequest | null);
  'delete'?: (_pairdb_v1_DeleteKeyValueRequest | null);
  'write_ok'?: (_pairdb_v1_WriteKeyValueResponse | null);
  'read_ok'?: (_pairdb_v1_ReadKeyValueResponse | null);
  'delete_ok'?: (_pairdb_v1_DeleteKeyValueResponse | null);
  'error'?: (_pairdb_v1_PipeError | null);
  'body'?: "write"|"read"|"delete"|"write_ok"|"read_ok"|"delete_ok"|"error";
}

export interface ClientPipeEntry__Output {
  'id': (string);
  'deadline_ms': (string);
  'request_id': (string);
  'write'?: (_pairdb_v1_WriteKeyValueRequest__Output | null);
  'read'?: (_pairdb_v1_ReadKeyValueRequest__Output | null);
  'delete'?: (_pairdb_v1_DeleteKeyValueRequest__Output | null);
  'write_ok'?: (_pairdb_v1_WriteKeyValueResponse__Output | null);
  'read_ok'?: (_pairdb_v1_ReadKeyValueResponse__Output | null);
  'delete_ok'?: (_pairdb_v1_DeleteKeyValueResponse__Output | null);
  'error'?: (_pairdb_v1_PipeError__Output | null);
  'body'?: "write"|"read"|"delete"|"write_ok"|"read_ok"|"delete_ok"|"error";
}
