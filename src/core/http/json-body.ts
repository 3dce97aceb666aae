import { isUtf8 } from 'node:buffer';
import { PairdbError } from '../errors.js';
import { invalid, type JsonObject } from './validation.js';

/**
 * Request bodies (http-api.md §1.2): a present Content-Type must be application/json (case-insensitive,
 * parameters allowed) else 415; the bytes must be UTF-8 without BOM and parse to a JSON object, else 400.
 */

/** Checks the media type of a body that is read; an absent header is accepted. */
export function assertJsonContentType(header: string | undefined): void {
  if (header === undefined) return;
  const semi = header.indexOf(';');
  const type = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
  if (type !== 'application/json') {
    throw new PairdbError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
}

/** Decodes a body into a JSON object (own members only; `__proto__` and the like are plain names). */
export function decodeJsonObject(body: Buffer): JsonObject {
  if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
    throw invalid('the body must not start with a byte order mark');
  }
  if (!isUtf8(body)) throw invalid('the body is not valid UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('the body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalid('the body must be a JSON object');
  }
  return parsed as JsonObject;
}
