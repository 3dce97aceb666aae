import { type AddressInfo, type Server, type Socket, createConnection, createServer } from 'node:net';

/**
 * A TCP proxy for fault tests on real processes (issue 4: partitions and delays between daemons on 127.0.0.1). A
 * client connects to `port`; bytes go to `target` and back. Controls:
 * - `partition()`: a black hole — existing connections stop passing bytes (held, not closed, like a dropped route),
 *   new ones are accepted and go nowhere; `heal()` ends it: held connections are destroyed (their peers see a reset
 *   and reconnect), new ones pass again;
 * - `setDelay(ms)`: every chunk is forwarded `ms` later, in order;
 * - `close()`.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #partitioned = false;
  #delayMs = 0;
  /** Connections accepted in total, and bytes forwarded client → target. */
  connections = 0;
  bytesForwarded = 0;

  private constructor(server: Server, target: { host: string; port: number }) {
    this.#server = server;
    this.#target = target;
  }

  static async start(target: { host?: string; port: number }, listenPort = 0): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, { host: target.host ?? '127.0.0.1', port: target.port });
    server.on('connection', (client) => proxy.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get partitioned(): boolean {
    return this.#partitioned;
  }

  partition(): void {
    this.#partitioned = true;
  }

  heal(): void {
    this.#partitioned = false;
    // Connections that lived through the partition lost bytes: reset them, as a real network would time them out.
    for (const s of this.#sockets) if ((s as Socket & { heldDuringPartition?: boolean }).heldDuringPartition) s.destroy();
  }

  setDelay(ms: number): void {
    this.#delayMs = Math.max(0, ms);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    this.connections++;
    const upstream = createConnection(this.#target);
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      s.on('error', () => undefined); // the other side's close follows; nothing to report in a test proxy
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    this.#pipe(client, upstream, true);
    this.#pipe(upstream, client, false);
  }

  #pipe(from: Socket, to: Socket, forward: boolean): void {
    // Delayed chunks of this direction wait in one queue drained by one timer, so a delay lowered (or removed) while
    // chunks are still held keeps the byte order.
    const held: Array<{ at: number; chunk: Buffer }> = [];
    let timer: NodeJS.Timeout | undefined;
    const drain = (): void => {
      timer = undefined;
      const now = Date.now();
      while (held.length > 0 && held[0]!.at <= now) {
        const { chunk } = held.shift()!;
        if (!to.destroyed) to.write(chunk);
      }
      if (held.length > 0) timer = setTimeout(drain, held[0]!.at - now);
    };
    from.on('data', (chunk: Buffer) => {
      if (this.#partitioned) {
        // Dropped on the floor; both ends of this connection are reset at heal().
        (from as Socket & { heldDuringPartition?: boolean }).heldDuringPartition = true;
        (to as Socket & { heldDuringPartition?: boolean }).heldDuringPartition = true;
        return;
      }
      if (forward) this.bytesForwarded += chunk.length;
      if (this.#delayMs === 0 && held.length === 0) {
        to.write(chunk);
        return;
      }
      const now = Date.now();
      held.push({ at: Math.max(now + this.#delayMs, held.at(-1)?.at ?? 0), chunk });
      timer ??= setTimeout(drain, held[0]!.at - now);
    });
  }
}
