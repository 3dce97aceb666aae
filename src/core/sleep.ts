import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits `ms`, or less if `signal` aborts first; never rejects. Pollers (migration driver, hint replay) loop on it and
 * check the signal themselves. node:timers/promises removes its abort listener when the timer fires, so a long-lived
 * signal does not collect one listener per poll.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
