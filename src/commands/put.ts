import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { PairdbError } from '../core/errors.js';
import type { Consistency } from '../core/client/api-types.js';
import { parseClockArg } from './output/args.js';
import { addClientOptions, withContext, type CliDeps, type CliIO } from './output/context.js';
import { withHint } from './output/errors.js';

export const CONSISTENCY_LEVELS = ['one', 'quorum', 'all'];

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Buffer, source: string): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw new PairdbError('USAGE', `${source} is not valid UTF-8`, { hint: 'values are JSON; encode binary data (e.g. base64) first' });
  }
}

async function readStdin(io: CliIO): Promise<string> {
  if (io.stdin.isTTY) {
    throw new PairdbError('USAGE', 'no value given and stdin is a terminal', {
      hint: 'pass the value as an argument, with --file F, or pipe it in (`echo hi | pairdb put k`)',
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  // One trailing newline is what `echo` and heredocs add, not part of the value (docs/DECISIONS.md).
  return decodeUtf8(Buffer.concat(chunks), 'stdin').replace(/\r?\n$/, '');
}

async function valueText(value: string | undefined, file: string | undefined, io: CliIO): Promise<string> {
  if (file !== undefined) {
    if (value !== undefined) throw new PairdbError('USAGE', 'give the value either as an argument or with --file, not both');
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new PairdbError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'USAGE', `cannot read --file ${file} (${code ?? 'error'})`, { cause: err });
    }
    return decodeUtf8(bytes, `--file ${file}`);
  }
  if (value === undefined || value === '-') return readStdin(io);
  return value;
}

/** `pairdb put [--tenant T] <key> [value|-] [-j] [--file F] [--consistency C] [--idempotency-key K] [--context CLOCK]` */
export function putCommand(deps: CliDeps): Command {
  const cmd = new Command('put')
    .description('write a value (stored as a JSON string unless -j)')
    .argument('<key>', 'the key (1-1024 UTF-8 bytes)')
    .argument('[value]', 'the value; omit or "-" to read stdin ("--" ends flags)')
    .option('-j, --json', 'parse the value as JSON text instead of storing it as a string')
    .option('--file <file>', 'read the value from a file')
    .addOption(new Option('--consistency <level>', 'consistency level (default: quorum)').choices(CONSISTENCY_LEVELS))
    .option('--idempotency-key <key>', 'retry key (default: a generated UUID)')
    .option('--context <clock>', 'causal context: the vector clock JSON printed by get');
  addClientOptions(cmd);
  cmd.action(async (key: string, value: string | undefined, _o: object, c: Command) =>
    withContext(deps, c, async (ctx) => {
      const o = c.opts<{ json?: boolean; file?: string; consistency?: Consistency; idempotencyKey?: string; context?: string }>();
      const tenant = ctx.tenant();
      const vectorClock = o.context === undefined ? undefined : parseClockArg(o.context);
      const text = await valueText(value, o.file, deps.io);
      let parsed: unknown = text;
      if (o.json) {
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new PairdbError('USAGE', 'the value is not valid JSON (-j)', { hint: 'drop -j to store the text as a JSON string' });
        }
      }
      // Always send a key, so that a write whose outcome is unknown can be retried safely (cli-and-ops.md §1).
      const idempotencyKey = o.idempotencyKey ?? randomUUID();
      try {
        const body = await ctx.gateway().put({ tenant, key, value: parsed, consistency: o.consistency, idempotencyKey, vectorClock });
        ctx.printer.put(body);
      } catch (err) {
        const e = PairdbError.from(err);
        if (e.outcome === 'unknown') {
          throw withHint(e, `the write may have been applied; retry with --idempotency-key ${idempotencyKey}`);
        }
        throw e;
      }
    }),
  );
  return cmd;
}
