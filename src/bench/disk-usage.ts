import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Apparent bytes of every file below `dir` (the benchmarks' "disk bytes"). */
export function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}
