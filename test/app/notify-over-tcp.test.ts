/**
 * Large dialog-info documents over TCP, at a watcher in this process (src/app/watcher.ts): a PBX's TCP
 * connection, written byte for byte by the test, carries the SUBSCRIBE's answer and NOTIFYs of up to
 * 1 MiB (a PBX listing thousands of dialogs). One over 1 MiB is answered 413 unread, the lamp stays, and
 * the same connection carries the next NOTIFY.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SipStreamFramer } from '../../src/sip/stream-framer.ts';
import { STREAM_BODY_LIMIT } from '../../src/sip/stream-framer.ts';
import { PARTNER_207, until, watch207, type WatcherRig } from '../support/watcher-rig.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A PBX that is one TCP listening socket: it keeps the watcher's connection and what came on it. */
async function tcpPbx(): Promise<{ port: number; connection(): Promise<net.Socket>; received: string[] }> {
  const received: string[] = [];
  let accepted: net.Socket | null = null;
  const server = net.createServer((socket) => {
    accepted = socket;
    // The stack under test may close with a reset at the test's end: nothing to say of it here.
    socket.on('error', () => undefined);
    socket.setEncoding('binary');
    const framer = new SipStreamFramer();
    socket.on('data', (data: string) => {
      for (const framed of framer.push(data)) if (framed.kind === 'message') received.push(framed.text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        accepted?.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    connection: async () => {
      await until(() => accepted != null, 'the watcher connecting');
      return accepted!;
    },
  };
}

const header = (message: string, name: string) =>
  new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(message)?.[1]?.trim() ?? '';

function text(lines: string[], body = ''): string {
  const bytes = Buffer.byteLength(body, 'utf8');
  return Buffer.from(`${lines.join('\r\n')}\r\nContent-Length: ${bytes}\r\n\r\n${body}`, 'utf8').toString(
    'binary',
  );
}

/** A full-state document: `terminated` ended dialogs, then the partner's one dialog in `state`. */
function document(version: number, state: string, terminated: number): string {
  const ended = Array.from(
    { length: terminated },
    (_, i) =>
      `<dialog id="old${i}" call-id="c${i}" local-tag="l${i}" remote-tag="r${i}" direction="recipient">` +
      `<state>terminated</state><remote><identity>sip:${1000 + (i % 9000)}@127.0.0.1</identity></remote></dialog>`,
  ).join('\n');
  return (
    `<?xml version="1.0"?>\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" ` +
    `state="full" entity="${PARTNER_207}">\n${ended}\n<dialog id="now" call-id="live" local-tag="a" ` +
    `remote-tag="b" direction="recipient"><state>${state}</state></dialog>\n</dialog-info>\n`
  );
}

describe('NOTIFY over TCP', () => {
  it('reads a 1 MiB document, answers a larger one 413 unread, and keeps the connection', async () => {
    const pbx = await tcpPbx();
    const rig: WatcherRig = await watch207(pbx.port, { pbx: { transport: 'tcp', keepaliveSeconds: 0 } });
    cleanup.push(() => rig.watcher.stop());
    const connection = await pbx.connection();
    await until(() => pbx.received.some((m) => m.startsWith('SUBSCRIBE ')), 'the SUBSCRIBE');
    const subscribe = pbx.received.find((m) => m.startsWith('SUBSCRIBE '))!;
    const from = header(subscribe, 'From');
    const to = `${header(subscribe, 'To')};tag=pbx1`;
    const callId = header(subscribe, 'Call-ID');
    connection.write(
      text([
        'SIP/2.0 200 OK',
        `Via: ${header(subscribe, 'Via')}`,
        `From: ${from}`,
        `To: ${to}`,
        `Call-ID: ${callId}`,
        `CSeq: ${header(subscribe, 'CSeq')}`,
        `Contact: <sip:127.0.0.1:${pbx.port};transport=tcp>`,
        'Expires: 600',
      ]),
    );
    let cseq = 1;
    const notify = (body: string) => {
      const n = cseq++;
      connection.write(
        text(
          [
            `NOTIFY ${/<([^>]+)>/.exec(header(subscribe, 'Contact'))![1]} SIP/2.0`,
            `Via: SIP/2.0/TCP 127.0.0.1:${pbx.port};branch=z9hG4bK-big-${n}`,
            `From: ${to}`,
            `To: ${from}`,
            `Call-ID: ${callId}`,
            `CSeq: ${n} NOTIFY`,
            `Contact: <sip:127.0.0.1:${pbx.port};transport=tcp>`,
            'Event: dialog',
            'Subscription-State: active;expires=600',
            'Content-Type: application/dialog-info+xml',
          ],
          body,
        ),
      );
      return `z9hG4bK-big-${n}`;
    };
    const answerTo = async (branch: string) => {
      await until(
        () => pbx.received.some((m) => m.includes(branch) && m.startsWith('SIP/2.0')),
        `answer ${branch}`,
      );
      return pbx.received.find((m) => m.includes(branch) && m.startsWith('SIP/2.0'))!.split('\r\n')[0];
    };
    const state = () => rig.watcher.partner(PARTNER_207)?.situation;

    // Some 5,000 ended dialogs, then the ringing one: just under 1 MiB.
    let terminated = 1000;
    while (Buffer.byteLength(document(1, 'early', terminated + 100)) <= STREAM_BODY_LIMIT) terminated += 100;
    const big = document(1, 'early', terminated);
    expect(Buffer.byteLength(big)).toBeGreaterThan(STREAM_BODY_LIMIT - 20_000);
    expect(Buffer.byteLength(big)).toBeLessThanOrEqual(STREAM_BODY_LIMIT);
    expect(await answerTo(notify(big))).toBe('SIP/2.0 200 OK');
    await until(() => state() === 'ringing', 'ringing');

    const over = document(2, 'confirmed', terminated + 200);
    expect(Buffer.byteLength(over)).toBeGreaterThan(STREAM_BODY_LIMIT);
    expect(await answerTo(notify(over))).toBe('SIP/2.0 413 Request Entity Too Large');
    expect(state()).toBe('ringing');

    expect(await answerTo(notify(document(3, 'terminated', 0)))).toBe('SIP/2.0 200 OK');
    await until(() => state() === 'idle', 'idle');
    expect(connection.destroyed).toBe(false);
  });
});
