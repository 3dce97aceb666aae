import { EXIT } from '../core/exit-codes.js';
import type { Logger } from '../core/observability/logger.js';

/** What every daemon class offers (cli-and-ops.md §3): no process.* inside, so tests run several per process. */
export interface Daemon {
  start(): Promise<void>;
  /** Graceful shutdown; resolves true when everything drained in time, false when connections were forced. */
  stop(reason: string): Promise<boolean>;
}

/**
 * Runs a daemon in the foreground: the first SIGTERM/SIGINT stops it gracefully (exit 0, or 1 if forced), a second
 * exits 130 at once, and an uncaught error is logged fatal and exits 1. Resolves with the exit code; the caller
 * exits with it. `fatal(code)` lets a daemon end the process itself (e.g. exit 74 after an fsync error).
 */
export async function runDaemon(name: string, daemon: Daemon, log: Logger): Promise<number> {
  let stopping = false;
  return new Promise<number>((resolve, reject) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, `received second ${signal}; exiting now`);
        process.exit(EXIT.INTERRUPTED);
      }
      stopping = true;
      log.info({ signal }, `received ${signal}; shutting down`);
      daemon.stop(signal).then(
        (clean) => resolve(clean ? EXIT.OK : EXIT.ERROR),
        (err: unknown) => {
          log.error({ err }, `${name} failed to stop cleanly`);
          resolve(EXIT.ERROR);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const onFatal = (err: unknown): void => {
      log.fatal({ err }, `${name}: uncaught error`);
      process.exit(EXIT.ERROR);
    };
    process.on('uncaughtException', onFatal);
    process.on('unhandledRejection', onFatal);
    daemon.start().then(
      () => log.info(`${name} started`),
      (err: unknown) => {
        // Startup errors (port in use, lock held, corruption) reach main(), which prints them and picks the exit code.
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        stopping = true;
        daemon.stop('startup failed').then(
          () => reject(err),
          () => reject(err),
        );
      },
    );
  });
}
