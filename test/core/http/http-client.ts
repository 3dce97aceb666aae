import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

/** Minimal HTTP helpers for gateway tests: one fresh connection per request, raw sockets for framing tests. */

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

export interface HttpOptions {
  headers?: Record<string, string | number>;
  body?: string | Buffer;
}

export function http(port: number, method: string, path: string, opts: HttpOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.body !== undefined && headers['Content-Length'] === undefined && headers['Transfer-Encoding'] === undefined) {
      headers['Content-Length'] = Buffer.byteLength(opts.body);
    }
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** JSON POST/PUT/PATCH/DELETE with Content-Type application/json. */
export function send(port: number, method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return http(port, method, path, {
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export interface RawAnswer {
  status: number;
  head: string;
  headers: Record<string, string>;
  body: string;
}

/** Parses the first response in `text` (status line, headers, body up to Content-Length). */
export function parseRaw(text: string): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const lines = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  const rest = end < 0 ? '' : text.slice(end + 4);
  const len = Number(headers['content-length'] ?? rest.length);
  return { status, head, headers, body: rest.slice(0, len) };
}

/**
 * Writes `chunks` on a raw socket (a function chunk waits that many ms) and collects everything until the server
 * closes the connection (or `timeoutMs`).
 */
export function raw(port: number, chunks: Array<string | Buffer | number>, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(got).toString('utf8'));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (d: Buffer) => got.push(d));
    socket.on('close', finish);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset after the answer arrived still counts as an answer.
      if (got.length > 0) finish();
      else if (!done) {
        done = true;
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.on('connect', async () => {
      for (const c of chunks) {
        if (typeof c === 'number') await new Promise((r) => setTimeout(r, c));
        else if (!socket.destroyed) socket.write(c);
      }
    });
  });
}

/** A port nothing listens on (bound then released). */
export async function unusedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
