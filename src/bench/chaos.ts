import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDuration } from '../core/config/units.js';
import { runChaos, type ChaosResult } from './chaos-driver.js';

/**
 * `npm run chaos` (issue 4): the chaos run of chaos-driver.ts with its summary as a table on stdout and as JSON in
 * bench-results/chaos-<date>.json. Exit 1 when the checker finds violations, fewer than 99 % of operations
 * succeeded, or the replicas took longer than 15 s to converge.
 */

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '120s' },
    'kill-every': { type: 'string', default: '10s' },
    'down-for': { type: 'string', default: '3s' },
    clients: { type: 'string', default: '4' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    keys: { type: 'string', default: '50' },
    'shared-keys': { type: 'string', default: '8' },
    attempts: { type: 'string', default: '3' },
    level: { type: 'string', default: 'quorum' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

function positiveInt(name: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${text}"`);
  return n;
}

function consistencyLevel(text: string): 'one' | 'quorum' | 'all' {
  if (text !== 'one' && text !== 'quorum' && text !== 'all') throw new Error(`--level must be one, quorum or all, got "${text}"`);
  return text;
}

const ms = (n: number | null) => (n === null ? '—' : `${(n / 1000).toFixed(1)} s`);

function summary(r: ChaosResult): string {
  const rep = r.report;
  const c = r.convergence;
  const rows: Array<[string, string]> = [
    ['ops', String(rep.ops)],
    ['ok', `${rep.ok} (${rep.okPercent.toFixed(2)} %)`],
    ['failed (not_applied)', String(rep.failed)],
    ['unknown outcome', String(rep.unknown)],
    ['kills', `${r.kills.length} (${r.kills.map((k) => k.node).join(' ')})`],
    ['ops while a node was down', String(r.opsDuringOutages)],
    ['lost acked writes', String(rep.lostAckedWrites)],
    ['stale reads', String(rep.staleReads)],
    ['other violations', String(rep.violations.length - rep.staleReads - rep.violations.filter((v) => v.kind === 'lost-write').length)],
    ['hints drained after', ms(c.hintsDrainedMs)],
    ['digests equal after', `${ms(c.digestsEqualMs)} (${ms(c.digestsEqualSinceLastRestartMs)} since the last restart)`],
    ['keys per replica', (c.keysPerReplica ?? []).join(' ')],
  ];
  if (c.repair) rows.push(['repair', `${c.repair.state} in ${ms(c.repair.durationMs)}, digests equal: ${c.repair.digestsEqual}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  lines.push('', `${'OP'.padEnd(8)}${'COUNT'.padStart(8)}${'P50'.padStart(10)}${'P90'.padStart(10)}${'P99'.padStart(10)}${'MAX'.padStart(10)}`);
  for (const [op, l] of Object.entries(rep.latency)) {
    lines.push(`${op.padEnd(8)}${String(l.count).padStart(8)}${`${l.p50Ms} ms`.padStart(10)}${`${l.p90Ms} ms`.padStart(10)}${`${l.p99Ms} ms`.padStart(10)}${`${l.maxMs} ms`.padStart(10)}`);
  }
  if (Object.keys(r.errors).length) lines.push('', `errors by answer: ${JSON.stringify(r.errors)}`);
  for (const [label, samples] of Object.entries(r.errorSamples)) for (const s of samples) lines.push(`  ${label}: ${s}`);
  for (const v of rep.violations.slice(0, 20)) lines.push(`violation ${v.kind} ${v.key}: ${v.detail}`);
  lines.push('', r.failures.length ? `FAILED: ${r.failures.join('; ')}` : 'PASSED', '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const result = await runChaos({
    durationMs: parseDuration(values.duration!, '--duration'),
    killEveryMs: parseDuration(values['kill-every']!, '--kill-every'),
    downMs: parseDuration(values['down-for']!, '--down-for'),
    clients: positiveInt('clients', values.clients!),
    seed: positiveInt('seed', values.seed!, 0),
    keysPerClient: positiveInt('keys', values.keys!),
    sharedKeys: positiveInt('shared-keys', values['shared-keys']!, 0),
    maxAttempts: positiveInt('attempts', values.attempts!),
    level: consistencyLevel(values.level!),
    keepData: values.keep,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(summary(result));
  const out = values.out ?? join(fileURLToPath(new URL('../../bench-results', import.meta.url)), `chaos-${result.startedAt.slice(0, 10)}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ ...result, report: { ...result.report, violations: result.report.violations.slice(0, 100) } }, null, 2)}\n`);
  process.stderr.write(`summary written to ${out}\n`);
  if (result.failures.length) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
