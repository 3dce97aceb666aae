import { randomUUID } from 'node:crypto';

/** §1.3: the inbound `X-Request-ID` if it is 1-128 characters of [A-Za-z0-9._-], else a new lowercase UUIDv4. */
const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

export function pickRequestId(inbound: string | string[] | undefined): string {
  return typeof inbound === 'string' && REQUEST_ID_RE.test(inbound) ? inbound : randomUUID();
}
