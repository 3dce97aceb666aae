import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { colorEnabled, resolveFormat, type CliIO } from '../../../src/commands/output/context.js';
import { parseClockArg, parseIntArg } from '../../../src/commands/output/args.js';
import { PairdbError } from '../../../src/core/errors.js';

function io(tty: boolean, env: NodeJS.ProcessEnv = {}): CliIO {
  return { stdout: { write: () => true, isTTY: tty }, stderr: { write: () => true }, stdin: Readable.from([]), env };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as PairdbError).code;
  }
  return undefined;
}

describe('resolveFormat', () => {
  it('defaults to table on a TTY and json otherwise; -o wins', () => {
    expect(resolveFormat(undefined, true)).toBe('table');
    expect(resolveFormat(undefined, false)).toBe('json');
    expect(resolveFormat('simple', true)).toBe('simple');
    expect(resolveFormat('ndjson', false)).toBe('ndjson');
  });
});

describe('colorEnabled', () => {
  it('colours tables on a TTY only', () => {
    expect(colorEnabled({}, 'table', io(true))).toBe(true);
    expect(colorEnabled({}, 'table', io(false))).toBe(false);
  });

  it('never colours json, ndjson or simple', () => {
    for (const f of ['json', 'ndjson', 'simple'] as const) expect(colorEnabled({ color: true }, f, io(true), 'cli')).toBe(false);
  });

  it('honours NO_COLOR, PAIRDB_COLOR and --[no-]color', () => {
    expect(colorEnabled({}, 'table', io(true, { NO_COLOR: '1' }))).toBe(false);
    expect(colorEnabled({}, 'table', io(true, { NO_COLOR: '' }))).toBe(true);
    expect(colorEnabled({}, 'table', io(true, { PAIRDB_COLOR: 'false' }))).toBe(false);
    expect(colorEnabled({}, 'table', io(false, { PAIRDB_COLOR: '1' }))).toBe(true);
    expect(colorEnabled({ color: false }, 'table', io(true), 'cli')).toBe(false);
    expect(colorEnabled({ color: true }, 'table', io(false, { NO_COLOR: '1' }), 'cli')).toBe(true);
  });
});

describe('argument parsing', () => {
  it('parses bounded integers and rejects the rest with USAGE', () => {
    expect(parseIntArg('3', '--rf', 1, 10)).toBe(3);
    for (const bad of ['0', '11', '2.5', 'x', '-1', '']) expect(codeOf(() => parseIntArg(bad, '--rf', 1, 10))).toBe('USAGE');
  });

  it('parses a --context clock and rejects non-clocks with USAGE', () => {
    expect(parseClockArg('{"c1":3,"c2":0}')).toEqual({ c1: 3, c2: 0 });
    for (const bad of ['{', '[]', '{"c1":-1}', '{"c1":1.5}', '{"c1":"3"}', 'null']) expect(codeOf(() => parseClockArg(bad))).toBe('USAGE');
  });
});
