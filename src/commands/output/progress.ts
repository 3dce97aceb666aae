import cliProgress from 'cli-progress';
import type { Sink } from './context.js';

/**
 * Progress on stderr (cli-and-ops.md §1): a cli-progress bar redrawn in place on a TTY without `-q`; otherwise at
 * most one `note:` line per 10 s (and none with `-q`). The text of each line comes from the caller (the pure
 * formatters of core/client/progress-text.ts), so the bar and the notes say the same thing.
 */

export interface ProgressDisplay {
  /** A new state: `line` is the full progress text, value/total drive the bar's own bookkeeping. */
  update(line: string, value: number, total: number): void;
  /** Ends the display (the last bar stays on screen); safe to call twice. */
  stop(): void;
}

export const NOTE_INTERVAL_MS = 10_000;

export function progressDisplay(stderr: Sink, opts: { quiet: boolean; nowMs?: () => number }): ProgressDisplay {
  if (opts.quiet) return { update: () => undefined, stop: () => undefined };
  if (stderr.isTTY === true) return ttyBar(stderr);
  return throttledNotes(stderr, opts.nowMs ?? Date.now);
}

function ttyBar(stderr: Sink): ProgressDisplay {
  const bar = new cliProgress.SingleBar({
    stream: stderr as unknown as NodeJS.WritableStream,
    format: (_options, _params, payload: { line?: string }) => payload.line ?? '',
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    fps: 5,
  });
  let started = false;
  let stopped = false;
  return {
    update(line, value, total) {
      if (stopped) return;
      if (!started) {
        bar.start(Math.max(total, 1), value, { line });
        started = true;
      } else {
        bar.setTotal(Math.max(total, 1));
        bar.update(value, { line });
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (started) bar.stop();
    },
  };
}

function throttledNotes(stderr: Sink, nowMs: () => number): ProgressDisplay {
  let lastAt: number | undefined;
  return {
    update(line) {
      const now = nowMs();
      if (lastAt !== undefined && now - lastAt < NOTE_INTERVAL_MS) return;
      lastAt = now;
      stderr.write(`note: ${line}\n`);
    },
    stop: () => undefined,
  };
}
