import { describe, expect, it } from 'vitest';
import { NOTE_INTERVAL_MS, progressDisplay } from '../../../src/commands/output/progress.js';

/** Progress on stderr (cli-and-ops.md §1): a redrawn bar on a TTY, else ≤1 `note:` line per 10 s, nothing with -q. */

describe('progressDisplay', () => {
  it('draws the given line in place on a terminal and leaves the last one on screen', () => {
    let err = '';
    const d = progressDisplay({ write: (s: string) => (err += s), isTTY: true }, { quiet: false });
    d.update('ranges 1/4  mismatched 0  keys streamed 0  ETA --', 1, 4);
    d.update('ranges 4/4  mismatched 2  keys streamed 9  ETA 0s', 4, 4);
    d.stop();
    d.stop();
    expect(err).toContain('ranges 1/4  mismatched 0  keys streamed 0  ETA --');
    expect(err).toContain('ranges 4/4  mismatched 2  keys streamed 9  ETA 0s');
    expect(err).not.toContain('note:');
  });

  it('writes at most one note line per 10 s when stderr is not a terminal', () => {
    let err = '';
    let now = 0;
    const d = progressDisplay({ write: (s: string) => (err += s), isTTY: false }, { quiet: false, nowMs: () => now });
    d.update('a', 1, 9);
    now = NOTE_INTERVAL_MS - 1;
    d.update('b', 2, 9);
    now = NOTE_INTERVAL_MS;
    d.update('c', 3, 9);
    d.stop();
    expect(err).toBe('note: a\nnote: c\n');
  });

  it('stays silent with -q', () => {
    let err = '';
    const d = progressDisplay({ write: (s: string) => (err += s), isTTY: true }, { quiet: true });
    d.update('a', 1, 2);
    d.stop();
    expect(err).toBe('');
  });
});
