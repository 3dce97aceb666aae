import { describe, expect, it } from 'vitest';
import { renderError } from '../../../src/commands/output/errors.js';
import { ERROR_MAP, PairdbError, type ErrorCode } from '../../../src/core/errors.js';
import { EXIT } from '../../../src/core/exit-codes.js';

describe('renderError', () => {
  it('prints one error line with the request id, then the hint', () => {
    const e = new PairdbError('KEY_NOT_FOUND', 'key not found', { requestId: 'r-1', hint: 'check the tenant' });
    expect(renderError(e, 'table')).toBe('pairdb: error: KEY_NOT_FOUND: key not found (request r-1)\npairdb: hint: check the tenant\n');
  });

  it('omits the request part when no request id is known', () => {
    const e = new PairdbError('CONNECTION_FAILED', 'cannot reach the gateway');
    expect(renderError(e, 'simple')).toBe('pairdb: error: CONNECTION_FAILED: cannot reach the gateway\n');
  });

  it('prints a JSON error object with the exit code for -o json and ndjson', () => {
    const e = new PairdbError('TIMEOUT', 'no answer', { requestId: 'r-2', outcome: 'unknown' });
    for (const format of ['json', 'ndjson'] as const) {
      const text = renderError(e, format);
      expect(text.endsWith('\n')).toBe(true);
      expect(text.trimEnd().split('\n')).toHaveLength(1);
      const obj = JSON.parse(text);
      expect(obj).toMatchObject({ status: 'error', error_code: 'TIMEOUT', request_id: 'r-2', exit_code: EXIT.UNAVAILABLE, outcome: 'unknown' });
      expect(Object.keys(obj).slice(0, 5)).toEqual(['status', 'error_code', 'message', 'request_id', 'exit_code']);
    }
  });

  it('adds stacks only with --debug', () => {
    const e = new PairdbError('INTERNAL_ERROR', 'boom', { cause: new Error('inner') });
    expect(renderError(e, 'table')).not.toContain('    at ');
    const debug = renderError(e, 'table', true);
    expect(debug).toContain('    at ');
    expect(debug).toContain('caused by: Error: inner');
  });
});

describe('exit codes of cli-and-ops.md §1', () => {
  const expected: [ErrorCode, number][] = [
    ['INTERNAL_ERROR', 1],
    ['USAGE', 2],
    ['INVALID_REQUEST', 2],
    ['INVALID_REPLICATION_FACTOR', 2],
    ['PAYLOAD_TOO_LARGE', 2],
    ['KEY_NOT_FOUND', 3],
    ['TENANT_NOT_FOUND', 3],
    ['FILE_NOT_FOUND', 3],
    ['TENANT_EXISTS', 4],
    ['NODE_IN_USE', 4],
    ['IDEMPOTENCY_KEY_CONFLICT', 4],
    ['DATA_DIR_LOCKED', 4],
    ['ADDRESS_IN_USE', 4],
    ['CONNECTION_FAILED', 5],
    ['QUORUM_NOT_REACHED', 5],
    ['SERVICE_UNAVAILABLE', 5],
    ['TIMEOUT', 5],
    ['RATE_LIMIT_EXCEEDED', 5],
    ['UNAUTHORIZED', 6],
    ['FORBIDDEN', 6],
    ['CORRUPT_FILE', 7],
  ];
  it.each(expected)('%s exits %i', (code, exit) => {
    expect(new PairdbError(code, 'x').exitCode).toBe(exit);
    expect(ERROR_MAP[code].exit).toBe(exit);
  });
});
