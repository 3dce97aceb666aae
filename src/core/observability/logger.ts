import { pino, type Logger as PinoLogger } from 'pino';

/** The logger every daemon and core part receives (cli-and-ops.md §3: pino JSON on stderr). */
export type Logger = PinoLogger;

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/**
 * A JSON logger on stderr with base `{daemon, node_id, pid}`. Synchronous writes so that a fatal line
 * reaches the file before the process exits.
 */
export function createLogger(daemon: string, nodeId: string | undefined, level: LogLevel = 'info'): Logger {
  return pino(
    {
      level,
      base: { daemon, node_id: nodeId ?? null, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: ['authorization', 'token', 'secret', 'value'],
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything, for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
