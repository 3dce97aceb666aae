import { type AddressInfo, type Server, type Socket, createConnection, createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TcpProxy } from './tcp-proxy.js';

/** The fault-test proxy itself: passes bytes both ways, black-holes them while partitioned, resets at heal. */

let echo: Server;
let proxy: TcpProxy;

beforeEach(async () => {
  echo = createServer((s) => s.on('data', (d) => s.write(d)));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  proxy = await TcpProxy.start({ port: (echo.address() as AddressInfo).port });
});

afterEach(async () => {
  await proxy.close();
  await new Promise<void>((r) => echo.close(() => r()));
});

function connect(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port: proxy.port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `text` and collects what comes back within `ms`. */
async function roundTrip(s: Socket, text: string, ms: number): Promise<string> {
  let got = '';
  const onData = (d: Buffer): void => {
    got += d.toString();
  };
  s.on('data', onData);
  s.write(text);
  const until = Date.now() + ms;
  while (got.length < text.length && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  s.off('data', onData);
  return got;
}

describe('TcpProxy', () => {
  it('passes bytes both ways and counts them', async () => {
    const s = await connect();
    expect(await roundTrip(s, 'hello', 2000)).toBe('hello');
    expect(proxy.bytesForwarded).toBe(5);
    expect(proxy.connections).toBe(1);
    s.destroy();
  });

  it('black-holes bytes while partitioned, resets the connections that lived through it, and passes again after heal', async () => {
    const s = await connect();
    expect(await roundTrip(s, 'a', 2000)).toBe('a');
    proxy.partition();
    // Nothing comes back during the partition (the bytes are dropped, the connection stays open).
    expect(await roundTrip(s, 'lost', 200)).toBe('');
    expect(s.destroyed).toBe(false);
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    proxy.heal();
    await closed;
    const again = await connect();
    expect(await roundTrip(again, 'back', 2000)).toBe('back');
    again.destroy();
  });

  it('delays every chunk but keeps their order', async () => {
    proxy.setDelay(30);
    const s = await connect();
    let all = '';
    s.on('data', (d) => (all += d.toString()));
    for (const part of ['1', '2', '3', '4']) s.write(part);
    const until = Date.now() + 3000;
    while (all.length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(all).toBe('1234');
    s.destroy();
  });

  it('keeps the order when the delay is lowered while chunks are held', async () => {
    proxy.setDelay(300);
    const s = await connect();
    let all = '';
    s.on('data', (d) => (all += d.toString()));
    s.write('a');
    await new Promise((r) => setTimeout(r, 50)); // 'a' is held (for 250 ms more) on its way to the echo server
    proxy.setDelay(0);
    s.write('b');
    const until = Date.now() + 3000;
    while (all.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(all).toBe('ab');
    s.destroy();
  });
});
