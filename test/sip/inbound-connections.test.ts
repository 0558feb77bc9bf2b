/**
 * The connections peers open to lampfield's TCP port, held to one budget (src/sip/transports.ts): at
 * most MAX_INBOUND at once, each closed after five minutes without a whole message, and 16 MiB of
 * unfinished messages across all of them, so that a flood of connections neither grows memory without
 * bound nor locks out the PBX. Over real TCP on 127.0.0.1, time on a fake clock.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SipStack } from '../../src/sip/stack.ts';
import { INBOUND_HELD_BYTES, INBOUND_IDLE_MS, MAX_INBOUND } from '../../src/sip/stream-transport.ts';
import { FakeClock } from '../support/fake-clock.ts';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

async function tcpStack(clock = new FakeClock()): Promise<{ stack: SipStack; clock: FakeClock }> {
  const stack = await SipStack.open({ address: '127.0.0.1', port: 0, transports: ['tcp'], clock });
  stack.onRequests((request) => request.respond(200));
  open.push(stack);
  return { stack, clock };
}

/** A peer's connection to the stack, and whether the stack has closed it. */
interface Peer {
  socket: net.Socket;
  closed: () => boolean;
  received: () => string;
}

async function connect(port: number): Promise<Peer> {
  const socket = net.connect(port, '127.0.0.1');
  let closed = false;
  let received = '';
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  socket.on('data', (data: Buffer) => (received += data.toString()));
  await new Promise((resolve) => socket.once('connect', resolve));
  open.push({ close: () => void socket.destroy() });
  return { socket, closed: () => closed, received: () => received };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const OPTIONS = (port: number) =>
  [
    `OPTIONS sip:lampfield@127.0.0.1:${port} SIP/2.0`,
    'Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-pbx-1',
    'From: <sip:pbx@127.0.0.1>;tag=p',
    'To: <sip:lampfield@127.0.0.1>',
    'Call-ID: pbx-1',
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');

describe('connections peers open to lampfield', { timeout: 60_000 }, () => {
  it(`at most ${MAX_INBOUND} at once, holding 60 KB of headers each: the stalest give way, and the PBX still gets in`, async () => {
    const { stack } = await tcpStack();
    const flood: Peer[] = [];
    for (let i = 0; i < MAX_INBOUND + 72; i++) {
      const peer = await connect(stack.port);
      peer.socket.write(`NOTIFY sip:x SIP/2.0\r\nX: ${'y'.repeat(60_000)}`); // headers that never end
      flood.push(peer);
    }
    await until(() => flood.filter((peer) => peer.closed()).length >= 72, 'the stalest connections closed');
    expect(stack.openTcpConnections).toBeLessThanOrEqual(MAX_INBOUND);
    // The PBX connects and is answered.
    const pbx = await connect(stack.port);
    pbx.socket.write(OPTIONS(stack.port));
    await until(() => pbx.received().startsWith('SIP/2.0 200 OK'), 'the PBX answered');
    expect(stack.openTcpConnections).toBeLessThanOrEqual(MAX_INBOUND);
  });

  it(`${INBOUND_HELD_BYTES / 1024 / 1024} MiB of unfinished bodies across them, no more`, async () => {
    const { stack } = await tcpStack();
    const peers: Peer[] = [];
    // 24 bodies of 1 MB announced, 900 KB of each sent: 21.6 MB if all were held.
    for (let i = 0; i < 24; i++) {
      const peer = await connect(stack.port);
      peer.socket.write(
        `NOTIFY sip:x SIP/2.0\r\nCall-ID: big-${i}\r\nContent-Length: 1000000\r\n\r\n${'z'.repeat(900_000)}`,
      );
      peers.push(peer);
    }
    await until(
      () => peers.filter((peer) => peer.closed()).length >= 6,
      'connections past the budget closed',
    );
    expect(peers.filter((peer) => !peer.closed()).length).toBeLessThanOrEqual(
      Math.floor(INBOUND_HELD_BYTES / 900_000),
    );
  });

  it('closes one that brought no whole message for five minutes, and keeps one that did', async () => {
    const { stack, clock } = await tcpStack();
    const quiet = await connect(stack.port);
    const talking = await connect(stack.port);
    await until(() => stack.openTcpConnections === 2, 'both connected');
    clock.advance(INBOUND_IDLE_MS - 1000);
    talking.socket.write(OPTIONS(stack.port));
    await until(() => talking.received().startsWith('SIP/2.0 200 OK'), 'an answer');
    clock.advance(1000);
    await until(() => quiet.closed(), 'the quiet connection closed');
    expect(talking.closed()).toBe(false);
  });
});
