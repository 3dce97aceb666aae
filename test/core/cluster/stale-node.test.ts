import { describe, expect, it } from 'vitest';
import { aliveIntervalMs, formatLastAlive, parseLastAlive, staleNodeWarnings, staleRejoinError } from '../../../src/core/cluster/stale-node.js';
import { EXIT } from '../../../src/core/exit-codes.js';

const DAY = 86_400_000;

describe('stale-node rule (cluster.md §2)', () => {
  it('round-trips the ALIVE content and treats a torn or foreign file as absent', () => {
    expect(parseLastAlive(formatLastAlive(1_764_000_000_123))).toBe(1_764_000_000_123);
    expect(parseLastAlive('')).toBeUndefined();
    expect(parseLastAlive('17640\u0000')).toBeUndefined();
    expect(parseLastAlive('abc\n')).toBeUndefined();
  });

  it('allows a new dir and a node down up to gc_grace; refuses past it with NODE_STALE (exit 4) and a remedy', () => {
    const now = 100 * DAY;
    expect(staleRejoinError(undefined, now, 10 * DAY)).toBeUndefined();
    expect(staleRejoinError(now - 10 * DAY, now, 10 * DAY)).toBeUndefined();
    const err = staleRejoinError(now - 10 * DAY - 1, now, 10 * DAY);
    expect(err).toMatchObject({ code: 'NODE_STALE' });
    expect(err!.exitCode).toBe(EXIT.CONFLICT);
    expect(err!.message).toMatch(/gc-grace/);
    expect(err!.hint).toMatch(/--allow-stale-rejoin/);
  });

  it('rewrites ALIVE every minute, or more often for a short gc_grace', () => {
    expect(aliveIntervalMs(10 * DAY)).toBe(60_000);
    expect(aliveIntervalMs(2_000)).toBe(200);
    expect(aliveIntervalMs(10)).toBe(100);
  });

  it('warns only for nodes down longer than their gc_grace (the default when unknown)', () => {
    const now = 50 * DAY;
    const w = staleNodeWarnings(
      [
        { nodeId: 'up', downSinceMs: undefined, gcGraceMs: 1000 },
        { nodeId: 'short', downSinceMs: now - 5_000, gcGraceMs: 2_000 },
        { nodeId: 'recent', downSinceMs: now - 1_000, gcGraceMs: 2_000 },
        { nodeId: 'unknown-grace', downSinceMs: now - 11 * DAY, gcGraceMs: undefined },
        { nodeId: 'unknown-recent', downSinceMs: now - 9 * DAY, gcGraceMs: 0 },
      ],
      now,
      10 * DAY,
    );
    expect(w).toHaveLength(2);
    expect(w[0]).toMatch(/^storage node short has been down .*longer than gc-grace/);
    expect(w[1]).toMatch(/^storage node unknown-grace /);
  });
});
