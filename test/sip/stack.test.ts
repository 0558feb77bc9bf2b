/**
 * The SIP stack over real UDP and TCP on 127.0.0.1: each defect of the npm `sip` package listed in
 * BRIEF §7 has a test here showing the workaround.
 */
import { systemClock } from '../../src/util/clock.ts';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SipStack, SipStackError, type IncomingRequest } from '../../src/sip/stack.ts';
import { UdpTransport } from '../../src/sip/udp-transport.ts';
import type { SipMessage } from '../../src/sip/message.ts';
import { FakeClock } from '../support/fake-clock.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((thing) => thing.close()));
});

async function stack(options: Partial<Parameters<typeof SipStack.open>[0]> = {}): Promise<SipStack> {
  const created = await SipStack.open({ address: '127.0.0.1', port: 0, clock: systemClock, ...options });
  open.push(created);
  return created;
}

function options(to: SipStack, extra: Partial<SipMessage['headers']> = {}, content?: string): SipMessage {
  return {
    method: 'OPTIONS',
    uri: `sip:${to.hostPort}`,
    headers: {
      from: { uri: 'sip:a@127.0.0.1', params: { tag: 'a1' } },
      to: { uri: `sip:b@${to.hostPort}`, params: {} },
      'call-id': `c-${Math.random()}`,
      cseq: { seq: 1, method: 'OPTIONS' },
      ...extra,
    },
    ...(content == null ? {} : { content }),
  };
}

/** A plain UDP socket, to send raw bytes and see the bytes that come back. */
async function rawSocket(): Promise<{ socket: dgram.Socket; port: number; next(): Promise<Buffer> }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  open.push({ close: () => new Promise<void>((resolve) => socket.close(() => resolve())) });
  const queue: Buffer[] = [];
  const waiters: ((b: Buffer) => void)[] = [];
  socket.on('message', (data) => {
    const waiter = waiters.shift();
    if (waiter) waiter(data);
    else queue.push(data);
  });
  return {
    socket,
    port: socket.address().port,
    next: () =>
      new Promise((resolve) => (queue.length > 0 ? resolve(queue.shift()!) : waiters.push(resolve))),
  };
}

function nextRequest(target: SipStack): Promise<IncomingRequest> {
  return new Promise((resolve) => target.onRequests(resolve));
}

describe('SIP stack', () => {
  it('lets two stacks on one IP address reach each other', async () => {
    const a = await stack();
    const b = await stack();
    b.onRequests((request) => request.respond(200));
    const response = await a.request(options(b), { protocol: 'UDP', address: '127.0.0.1', port: b.port });
    expect(response.status).toBe(200);
  });

  it('reports a port in use as an error, instead of crashing the process', async () => {
    const busy = await rawSocket();
    const error = await SipStack.open({ address: '127.0.0.1', port: busy.port, clock: systemClock }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SipStackError);
    expect((error as SipStackError).code).toBe('address-in-use');
    expect((error as SipStackError).message).toBe(
      `UDP 127.0.0.1:${busy.port} is already in use by another program`,
    );
  });

  it('refuses IPv6 with a clear error', async () => {
    const error = await SipStack.open({ address: '::1', port: 0, clock: systemClock }).catch(
      (e: unknown) => e,
    );
    expect((error as SipStackError).code).toBe('ipv6-unsupported');
  });

  it('reads compact Event (o) and Content-Encoding (e), and unfolds folded header lines', async () => {
    const b = await stack();
    const raw = await rawSocket();
    const received = nextRequest(b);
    const datagram = [
      `NOTIFY sip:w@${b.hostPort} SIP/2.0`,
      `v: SIP/2.0/UDP 127.0.0.1:${raw.port};branch=z9hG4bK-compact`,
      'f: <sip:207@pbx>;tag=n1',
      't: <sip:w@127.0.0.1>;tag=w1',
      'i: compact-1',
      'CSeq: 1 NOTIFY',
      'o: dialog',
      'e: identity',
      'Subscription-State: active;',
      '  expires=600',
      'l: 0',
      '',
      '',
    ].join('\r\n');
    raw.socket.send(datagram, b.port, '127.0.0.1');
    const request = await received;
    expect(request.message.headers['event']).toBe('dialog');
    expect(request.message.headers['content-encoding']).toBe('identity');
    expect(request.message.headers['subscription-state']).toBe('active; expires=600');
    request.respond(200);
    expect((await raw.next()).toString()).toMatch(/^SIP\/2\.0 200 OK\r\n/);
  });

  it('writes Content-Length in bytes and carries UTF-8 bodies and display names intact', async () => {
    const a = await stack();
    const raw = await rawSocket();
    const body = '<dialog-info><identity display="Müller ☎">sip:207@pbx</identity></dialog-info>';
    void a.request(
      options(a, { from: { name: '"Zoë"', uri: 'sip:a@127.0.0.1', params: { tag: 'z' } } }, body),
      { protocol: 'UDP', address: '127.0.0.1', port: raw.port },
    );
    const bytes = await raw.next();
    const [head, sent] = [
      bytes.subarray(0, bytes.indexOf('\r\n\r\n')).toString(),
      bytes.subarray(bytes.indexOf('\r\n\r\n') + 4),
    ];
    expect(head).toMatch(new RegExp(`^Content-Length: ${Buffer.byteLength(body)}$`, 'm'));
    expect(sent.toString('utf8')).toBe(body);

    const b = await stack();
    const received = nextRequest(b);
    void a.request(
      options(b, { from: { name: '"Zoë"', uri: 'sip:a@127.0.0.1', params: { tag: 'z' } } }, body),
      {
        protocol: 'UDP',
        address: '127.0.0.1',
        port: b.port,
      },
    );
    const request = await received;
    expect(request.message.content).toBe(body);
    expect(request.message.headers.from?.name).toBe('"Zoë"');
    request.respond(200);
  });

  it('answers a request the application leaves unanswered, so its transaction does not live for ever', async () => {
    const clock = new FakeClock();
    const a = await stack();
    const b = await stack({ clock, unansweredRequestMs: 5000 });
    const received = nextRequest(b);
    const response = a.request(options(b), { protocol: 'UDP', address: '127.0.0.1', port: b.port });
    await received;
    clock.advance(5000);
    expect((await response).status).toBe(500);
  });

  it('keeps working after garbage, counting what it dropped', async () => {
    const a = await stack();
    const b = await stack();
    const raw = await rawSocket();
    raw.socket.send(Buffer.from([0x00, 0xff, 0x13, 0x37]), b.port, '127.0.0.1');
    raw.socket.send('INVITE sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n', b.port, '127.0.0.1');
    b.onRequests((request) => request.respond(200));
    expect(
      (await a.request(options(b), { protocol: 'UDP', address: '127.0.0.1', port: b.port })).status,
    ).toBe(200);
    expect(b.droppedTotal).toBe(2);
  });

  it('over TCP: answers on the same connection, and close() leaves no connection open', async () => {
    const a = await stack({ transports: ['tcp'] });
    const b = await stack({ transports: ['tcp'] });
    b.onRequests((request) => request.respond(200));
    const response = await a.request(options(b), { protocol: 'TCP', address: '127.0.0.1', port: b.port });
    expect(response.status).toBe(200);
    expect(a.openTcpConnections).toBe(1);
    expect(b.openTcpConnections).toBe(1);
    await b.close();
    expect(b.openTcpConnections).toBe(0);
    // The peer sees the connection go away.
    await expect.poll(() => a.openTcpConnections).toBe(0);
  });

  it('answers 503 when a TCP connection cannot be made', async () => {
    const a = await stack({ transports: ['tcp'] });
    const b = await stack({ transports: ['tcp'] });
    const port = b.port;
    await b.close();
    const response = await a.request(options(b), { protocol: 'TCP', address: '127.0.0.1', port });
    expect(response.status).toBe(503);
  });

  it('traces messages with credentials redacted', async () => {
    const lines: string[] = [];
    const a = await stack({ trace: (_direction, text) => lines.push(text) });
    const raw = await rawSocket();
    void a.request(options(a, { authorization: 'Digest username="900", response="0123456789abcdef"' }), {
      protocol: 'UDP',
      address: '127.0.0.1',
      port: raw.port,
    });
    await raw.next();
    expect(lines.join('\n')).toContain('Authorization: [redacted]');
    expect(lines.join('\n')).not.toContain('0123456789abcdef');
  });

  it('answers a request of another SIP version 505, and never passes it on (RFC 4475 §3.1.2.16)', async () => {
    const b = await stack();
    const seen: IncomingRequest[] = [];
    b.onRequests((request) => {
      seen.push(request);
      request.respond(200);
    });
    const raw = await rawSocket();
    const badvers = readFileSync(new URL('../vectors/sip-torture/badvers.dat', import.meta.url));
    raw.socket.send(badvers, b.port, '127.0.0.1');
    const answer = (await raw.next()).toString('latin1');
    expect(answer.split('\r\n')[0]).toBe('SIP/2.0 505 Version Not Supported');
    expect(answer).toMatch(/^Call-ID: badvers\.31417@c\.example\.com$/m);
    expect(seen).toEqual([]);
  });

  it('gives every request a branch of its own: 2,000 OPTIONS, 2,000 branches of 72 random bits', async () => {
    const a = await stack();
    const raw = await rawSocket();
    // Request (Call-ID and CSeq) -> its branch. A slow loop lets an earlier request's transaction
    // retransmit (Timer A, RFC 3261 §17.1.2.2): the copy must carry the same branch, and is not counted.
    const requests = new Map<string, string>();
    for (let i = 0; i < 2000; i++) {
      void a.request(options(a), { protocol: 'UDP', address: '127.0.0.1', port: raw.port }, { timeoutMs: 1 });
      for (;;) {
        const text = (await raw.next()).toString('latin1');
        const request = `${/^Call-ID: (.*)$/m.exec(text)![1]} ${/^CSeq: (.*)$/m.exec(text)![1]}`;
        const branch = /^Via: .*;branch=([^;\r]+)/m.exec(text)![1]!;
        if (!requests.has(request)) {
          requests.set(request, branch);
          break;
        }
        expect(branch).toBe(requests.get(request));
      }
    }
    const branches = new Set(requests.values());
    expect(requests.size).toBe(2000);
    expect(branches.size).toBe(2000);
    expect([...branches].every((branch) => /^z9hG4bK[A-Za-z0-9_-]{12}$/.test(branch))).toBe(true);
  });

  it('takes two requests of a peer whose branches collide as two, when their CSeq differ', async () => {
    const b = await stack();
    const seen: number[] = [];
    b.onRequests((request) => {
      seen.push(request.message.headers.cseq!.seq);
      request.respond(200);
    });
    const raw = await rawSocket();
    const notify = (seq: number) =>
      [
        `NOTIFY sip:w@${b.hostPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${raw.port};branch=z9hG4bK123456`,
        'From: <sip:207@127.0.0.1>;tag=a',
        'To: <sip:w@127.0.0.1>;tag=b',
        'Call-ID: same-subscription',
        `CSeq: ${seq} NOTIFY`,
        'Event: dialog',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    for (const seq of [7, 8, 8]) {
      raw.socket.send(notify(seq), b.port, '127.0.0.1');
      await raw.next(); // answered: the retransmission of 8 from the kept response
    }
    expect(seen).toEqual([7, 8]);
  });

  it('sends nothing, and throws nothing, once its UDP transport is closed (a late retransmission)', async () => {
    const transport = await UdpTransport.bind('127.0.0.1', 0, () => undefined);
    await transport.close();
    const remote = { protocol: 'UDP' as const, address: '127.0.0.1', port: 9 };
    expect(() => transport.sendBytes(remote, Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n'))).not.toThrow();
    const message = options(await stack());
    expect(() => transport.open(remote).send(message)).not.toThrow();
  });
});
