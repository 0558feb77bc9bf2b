/**
 * A connection to the PBX that goes wrong is replaced (src/sip/transports.ts), with `lampfield run` as a
 * process and a scripted PBX over TCP and TLS (test/support/stream-pbx.ts): a PBX that stops answering
 * on lampfield's connection but takes new ones, a first TLS handshake that never comes, a NOTIFY whose
 * body of 2 GiB will never come, one whose body stops mid-way. Each time lampfield opens a new
 * connection, subscribes again over it, and the key follows the partner's next change.
 */
import { describe, expect, it } from 'vitest';
import { makeCa, makeServerCert } from '../support/certificates.ts';
import { cleanupAfterEach } from '../support/cleanup.ts';
import { LampfieldProcess } from '../support/lampfield-process.ts';
import { freePort } from '../support/ports.ts';
import { sipText, StreamPbx } from '../support/stream-pbx.ts';

const cleanup = cleanupAfterEach();
const ca = makeCa('lampfield test CA');
const server = makeServerCert(ca, ['IP:127.0.0.1']);

/** The scripted PBX over `protocol`, and lampfield watching 207 on it (keepalive every second). */
async function setup(
  protocol: 'tcp' | 'tls',
  before: (pbx: StreamPbx) => void = () => undefined,
  keepaliveSeconds = 1,
) {
  const pbx = await StreamPbx.start(protocol, protocol === 'tls' ? server : undefined);
  cleanup(() => pbx.close());
  before(pbx);
  const lampfield = LampfieldProcess.start({
    pbx: {
      host: '127.0.0.1',
      port: pbx.port,
      transport: protocol,
      dialect: 'generic',
      keepaliveSeconds,
      ...(protocol === 'tls' ? { tls: { ca: ca.cert } } : {}),
    },
    account: { user: '900' },
    local: { address: '127.0.0.1', port: await freePort(true) },
    keys: [{ key: 1, partner: '207' }],
  });
  cleanup(() => lampfield.stop());
  return { pbx, lampfield };
}

/** The key follows the partner again: a change sent now (over the connection of the newest subscription) shows. */
async function followsAgain(pbx: StreamPbx, lampfield: LampfieldProcess): Promise<void> {
  pbx.notifyAll('early');
  await lampfield.waitForState(1, 'ringing');
  pbx.notifyAll('idle');
  await lampfield.waitForState(1, 'idle');
}

/** A NOTIFY's head that announces a body of `length` bytes, none of which follows. */
function notifyHead(pbx: StreamPbx, length: number): string {
  return sipText([
    'NOTIFY sip:900@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/TCP 127.0.0.1:${pbx.port};branch=z9hG4bK-head-${length}`,
    'From: <sip:207@127.0.0.1>;tag=x',
    'To: <sip:900@127.0.0.1>;tag=y',
    `Call-ID: head-${length}`,
    'CSeq: 1 NOTIFY',
    'Event: dialog',
  ]).replace('Content-Length: 0', `Content-Length: ${length}`);
}

describe('a connection to the PBX that goes wrong', { timeout: 60_000 }, () => {
  for (const protocol of ['tcp', 'tls'] as const) {
    it(`${protocol}: the PBX stops answering on it but takes new ones: a new connection, subscribed again`, async () => {
      const { pbx, lampfield } = await setup(protocol);
      await lampfield.waitForState(1, 'idle');
      expect(pbx.connections).toHaveLength(1);
      pbx.stall();
      // The keepalive's OPTIONS goes unanswered: lampfield ends that connection and opens another.
      await lampfield.waitFor(
        () =>
          pbx.connections.length >= 2 && pbx.connections[1]!.received.some((m) => m.startsWith('SUBSCRIBE ')),
        'a SUBSCRIBE on a new connection',
      );
      await followsAgain(pbx, lampfield);
      expect(lampfield.output()).toMatch(
        /the connection to the PBX ended \(a request on it got no answer at all\)/,
      );
    });
  }

  it('tls: a first handshake that never comes is given up, said in one line, and tried again', async () => {
    const { pbx, lampfield } = await setup('tls', (pbx) => (pbx.holdHandshakes = 1));
    await lampfield.waitForState(1, 'idle', 30_000);
    expect(pbx.connections.length).toBeGreaterThanOrEqual(2);
    expect(lampfield.output()).toMatch(/TLS to 127\.0\.0\.1:\d+: the PBX did not finish the TLS handshake/);
    await followsAgain(pbx, lampfield);
  });

  it('tcp: a NOTIFY announcing a body of 2 GiB is answered 413 and ends the connection; subscribed again', async () => {
    const { pbx, lampfield } = await setup('tcp');
    await lampfield.waitForState(1, 'idle');
    pbx.writeRaw(notifyHead(pbx, 2147483648));
    await lampfield.waitFor(() => pbx.connections[0]!.ended, 'the connection ended by lampfield');
    expect(pbx.connections[0]!.received.some((m) => m.startsWith('SIP/2.0 413 '))).toBe(true);
    await lampfield.waitFor(() => pbx.connections.length >= 2, 'a new connection');
    await followsAgain(pbx, lampfield);
  });

  it('tcp: a NOTIFY whose body stops coming ends the connection after 10 s; subscribed again', async () => {
    // No keepalive: nothing else would show the connection is stuck.
    const { pbx, lampfield } = await setup('tcp', undefined, 0);
    await lampfield.waitForState(1, 'idle');
    pbx.writeRaw(notifyHead(pbx, 1048000));
    await lampfield.waitFor(
      () => /a message on it stopped arriving for 10 s/.test(lampfield.output()),
      'the connection ended by lampfield',
      20_000,
    );
    await lampfield.waitFor(() => pbx.connections.length >= 2, 'a new connection');
    await followsAgain(pbx, lampfield);
  });
});
