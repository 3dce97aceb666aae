import { PairdbError } from '../errors.js';

/** Parses `250ms 5s 10m 3h 10d` (or a bare number of milliseconds) into milliseconds (cli-and-ops.md §1). */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new PairdbError('USAGE', `invalid ${what} ${JSON.stringify(text)} (use e.g. 250ms, 5s, 10m, 3h, 10d)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
  return Math.round(n * mult);
}

/** Parses bytes or `64KiB 64MiB 1GiB` (also KB/MB/GB as powers of 1000) into bytes. */
export function parseSize(text: string, what = 'size'): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)?$/i.exec(text.trim());
  if (!m) throw new PairdbError('USAGE', `invalid ${what} ${JSON.stringify(text)} (use e.g. 4096, 64KiB, 64MiB, 1GiB)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'B').toLowerCase();
  const mult: Record<string, number> = {
    b: 1,
    kib: 1024,
    mib: 1024 ** 2,
    gib: 1024 ** 3,
    tib: 1024 ** 4,
    kb: 1e3,
    mb: 1e6,
    gb: 1e9,
    tb: 1e12,
  };
  return Math.round(n * mult[unit]!);
}

/** Parses a TCP port (0 allowed where `allowZero`). */
export function parsePort(text: string | number, what = 'port', allowZero = true): number {
  const n = typeof text === 'number' ? text : Number(text);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1) || n > 65535) {
    throw new PairdbError('USAGE', `invalid ${what} ${JSON.stringify(String(text))} (0..65535)`);
  }
  return n;
}
