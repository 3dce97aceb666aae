import type { IncomingMessage } from 'node:http';
import { PairdbError } from '../errors.js';

/**
 * Reads a request body under the §1.6 limit: a larger Content-Length is refused unread, a streamed body is cut off
 * once it passes the limit. Either way the answer is 413 and the caller closes the connection.
 */

const EMPTY = Buffer.alloc(0);

/** The client went away mid-body: nothing to answer. */
export class BodyAbortedError extends Error {
  constructor() {
    super('client closed the connection while sending the body');
    this.name = 'BodyAbortedError';
  }
}

function tooLarge(limit: number): PairdbError {
  return new PairdbError('PAYLOAD_TOO_LARGE', `request body larger than ${limit} bytes`);
}

/** True when the request announces a body (Content-Length > 0 or Transfer-Encoding). */
export function hasBody(req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && Number(cl) > 0;
}

/** Rejects with 413 at once if Content-Length announces more than `limit` bytes. */
export function checkDeclaredLength(req: IncomingMessage, limit: number): void {
  const cl = req.headers['content-length'];
  if (cl !== undefined && Number(cl) > limit) throw tooLarge(limit);
}

/** Reads the whole body (empty Buffer when there is none). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  checkDeclaredLength(req, limit);
  if (!hasBody(req) || req.readableEnded) return Promise.resolve(EMPTY);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > limit) {
        cleanup();
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onError = (): void => {
      cleanup();
      reject(new BodyAbortedError());
    };
    const onClose = (): void => {
      if (!req.complete) onError();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
