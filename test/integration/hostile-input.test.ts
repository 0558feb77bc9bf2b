/**
 * What arrives at the watcher's port that it must not believe: every RFC 4475 torture message, and
 * NOTIFYs from an address that is not the PBX. The process keeps running and no key changes. And what
 * it must believe: innovaphone's NOTIFYs without a subscription, from the PBX's address.
 */
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Kamailio, optionsAnswered } from '../support/kamailio.ts';
import { LampfieldProcess } from '../support/lampfield-process.ts';
import { floodWithNotifies, startFloodTarget } from '../support/notify-flood.ts';
import { freePort } from '../support/ports.ts';
import { killAll } from '../support/processes.ts';
import { call, expectCall, hangUpAll, registerPhone } from '../support/sipp.ts';
import { vectorDatagram, VECTORS_DIR } from '../support/vectors.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => killAll());

/** A UDP socket on `address` that sends datagrams and collects what comes back. */
async function socketOn(
  address: string,
  port = 0,
): Promise<{ socket: dgram.Socket; received: string[]; port: number }> {
  const socket = dgram.createSocket('udp4');
  const received: string[] = [];
  socket.on('message', (data) => received.push(data.toString('latin1')));
  await new Promise<void>((resolve) => socket.bind(port, address, resolve));
  cleanup.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { socket, received, port: socket.address().port };
}

function send(socket: dgram.Socket, data: Buffer | string, port: number): Promise<void> {
  return new Promise((resolve) => socket.send(data, port, '127.0.0.1', () => resolve()));
}

/**
 * The seed's innovaphone NOTIFY `n`, addressed to lampfield at `port`. A stranger's copy gets its own
 * Via branch: an identical Via would make it the same transaction.
 */
function seedNotify(n: number, port: number, branch = ''): Buffer {
  return vectorDatagram(`innovaphone/seed-${n}.sip`, [
    [/^NOTIFY \S+/, `NOTIFY sip:snom@127.0.0.1:${port}`],
    [/branch=(\S+?);/, `branch=$1${branch};`],
  ]);
}

/** Kamailio, and lampfield run (listening on `port`) watching 207 on it, key 1 idle. */
async function watchingOnKamailio(): Promise<{
  kamailio: Kamailio;
  lampfield: LampfieldProcess;
  port: number;
}> {
  const kamailio = await Kamailio.start();
  cleanup.push(() => kamailio.close());
  const port = await freePort();
  const lampfield = LampfieldProcess.start({
    pbx: { host: '127.0.0.1', port: kamailio.port, dialect: 'kamailio' },
    account: { user: '900' },
    local: { address: '127.0.0.1', port },
    keys: [{ key: 1, partner: '207' }],
  });
  cleanup.push(() => lampfield.stop());
  await lampfield.waitForState(1, 'idle');
  return { kamailio, lampfield, port };
}

describe('hostile input at the watcher', () => {
  it('survives every RFC 4475 torture message and a NOTIFY from a stranger, keys unchanged', async () => {
    const { kamailio, lampfield, port } = await watchingOnKamailio();
    const linesBefore = lampfield.lines.length;

    const attacker = await socketOn('127.0.0.1');
    const files = readdirSync(`${VECTORS_DIR}sip-torture`).filter((file) => file.endsWith('.dat'));
    expect(files.length).toBeGreaterThanOrEqual(40);
    for (const file of files)
      await send(attacker.socket, readFileSync(`${VECTORS_DIR}sip-torture/${file}`), port);

    const stranger = await socketOn('127.0.0.2');
    await send(stranger.socket, seedNotify(1, port), port);

    // Still answering, still watching, nothing changed.
    expect(await optionsAnswered('127.0.0.1', port, 2000)).toBe(true);
    expect(lampfield.alive).toBe(true);
    expect(lampfield.lines.length).toBe(linesBefore);
    expect(stranger.received.some((message) => message.startsWith('SIP/2.0 481'))).toBe(true);

    const phone = await registerPhone(kamailio, '207');
    cleanup.push(() => hangUpAll([phone]));
    expectCall(kamailio, phone, 800);
    await call(kamailio, '211', '207', { talkMs: 300 });
    await lampfield.waitForState(1, 'idle');
    expect(lampfield.states(1)).toEqual(['unknown', 'idle', 'ringing', 'busy', 'idle']);
  });

  it('takes innovaphone NOTIFYs without a subscription from the PBX address only, with no idle flicker on answer', async () => {
    const pbx = await socketOn('127.0.0.1');
    // The PBX refuses SUBSCRIBE (innovaphone needs none) and answers OPTIONS.
    pbx.socket.on('message', (data, rinfo) => {
      const text = data.toString('latin1');
      const method = /^(\w+) /.exec(text)?.[1];
      if (method == null || text.startsWith('SIP/2.0')) return;
      const headers = text.split('\r\n').filter((line) => /^(Via|From|To|Call-ID|CSeq):/i.test(line));
      const status = method === 'SUBSCRIBE' ? '489 Bad Event' : '200 OK';
      pbx.socket.send(
        [`SIP/2.0 ${status}`, ...headers, 'Content-Length: 0', '', ''].join('\r\n'),
        rinfo.port,
        rinfo.address,
      );
    });
    const port = await freePort();
    const lampfield = LampfieldProcess.start({
      pbx: { host: '127.0.0.1', port: pbx.port, dialect: 'innovaphone' },
      account: { user: 'snom' },
      local: { address: '127.0.0.1', port },
      keys: [{ key: 1, partner: 'sip:207@172.16.16.180' }],
    });
    cleanup.push(() => lampfield.stop());
    await lampfield.waitForState(1, 'refused');

    const stranger = await socketOn('127.0.0.2');
    await send(stranger.socket, seedNotify(1, port, '-stranger'), port);
    await vi.waitFor(() =>
      expect(stranger.received.some((message) => message.startsWith('SIP/2.0 481'))).toBe(true),
    );
    expect(lampfield.current(1)).toBe('refused');

    await send(pbx.socket, seedNotify(1, port), port);
    await lampfield.waitForState(1, 'ringing');
    // On answer, innovaphone reports terminated and then proceeding within milliseconds.
    await send(pbx.socket, seedNotify(2, port), port);
    await send(pbx.socket, seedNotify(3, port), port);
    await lampfield.waitForState(1, 'busy');
    await send(pbx.socket, seedNotify(4, port), port);
    await lampfield.waitForState(1, 'idle');
    expect(lampfield.states(1)).toEqual(['unknown', 'refused', 'ringing', 'busy', 'idle']);
  });

  it('keeps its memory through a flood of 5,000 60 KB NOTIFYs outside any subscription', async () => {
    const { lampfield, port } = await startFloodTarget();
    cleanup.push(() => lampfield.stop());
    const memory = await floodWithNotifies(lampfield, port);
    // Each was answered 481 and its 60 KB let go: the answers kept for retransmissions are small.
    expect(memory.peakMb - memory.beforeMb, JSON.stringify(memory)).toBeLessThan(100);
    expect(lampfield.current(1)).toBe('unknown');
  });

  it('lives through 3,000 fuzzed datagrams from the PBX’s own address, keys unchanged, and still watches', async () => {
    const { kamailio, lampfield, port } = await watchingOnKamailio();
    const linesBefore = lampfield.lines.length;
    // Seeded, so that a failure can be replayed: random bytes, SIP-looking text, and captured NOTIFYs
    // and torture messages with bytes flipped, cut or repeated.
    const captured = [
      ...readdirSync(`${VECTORS_DIR}kamailio`).map((file) => readFileSync(`${VECTORS_DIR}kamailio/${file}`)),
      ...readdirSync(`${VECTORS_DIR}sip-torture`)
        .filter((file) => file.endsWith('.dat'))
        .map((file) => readFileSync(`${VECTORS_DIR}sip-torture/${file}`)),
    ];
    const mutated = fc
      .tuple(
        fc.constantFrom(...captured),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
      )
      .map(([bytes, flips, cut]) => {
        const copy = Buffer.from(bytes);
        for (const [at, value] of flips) copy[at % copy.length] = value;
        return copy.subarray(0, cut % 3 === 0 ? copy.length : cut % copy.length);
      });
    const datagrams = fc.sample(
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 1500 }).map((bytes) => Buffer.from(bytes)),
        fc
          .string({ maxLength: 800 })
          .map((text) => Buffer.from(`NOTIFY sip:900@127.0.0.1 SIP/2.0\r\n${text}`)),
        mutated,
      ),
      { seed: 3261, numRuns: 3000 },
    );
    const attacker = await socketOn('127.0.0.1');
    for (const [index, datagram] of datagrams.entries()) {
      await send(attacker.socket, datagram, port);
      if (index % 100 === 99) expect(lampfield.alive).toBe(true);
    }
    expect(await optionsAnswered('127.0.0.1', port, 2000)).toBe(true);
    expect(lampfield.alive).toBe(true);
    expect(lampfield.lines.length).toBe(linesBefore);

    const phone = await registerPhone(kamailio, '207');
    cleanup.push(() => hangUpAll([phone]));
    expectCall(kamailio, phone, 800);
    await call(kamailio, '211', '207', { talkMs: 300 });
    await lampfield.waitForState(1, 'idle');
    expect(lampfield.states(1)).toEqual(['unknown', 'idle', 'ringing', 'busy', 'idle']);
  });
});
