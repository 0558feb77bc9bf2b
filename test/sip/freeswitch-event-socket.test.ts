/**
 * FreeSWITCH's event socket as lampfield reads it (src/sip/freeswitch-event-socket.ts): messages in any
 * chunks, a body as long as its Content-Length (an `api/response`, the goodbye), a flood or a length
 * that is none refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EslReader } from '../../src/sip/freeswitch-event-socket.ts';

// What FreeSWITCH 1.10.12 sent on its event socket, byte for byte (captured on 127.0.0.1 with
// test/freeswitch/freeswitch.xml): a session of auth, a transfer of a channel that is not there, exit.
const SESSION =
  'Content-Type: auth/request\n\n' +
  'Content-Type: command/reply\nReply-Text: +OK accepted\n\n' +
  'Content-Type: api/response\nContent-Length: 22\n\n-ERR No such channel!\n' +
  'Content-Type: command/reply\nReply-Text: +OK bye\n\n' +
  'Content-Type: text/disconnect-notice\nContent-Length: 67\n\n' +
  'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

describe("FreeSWITCH's event socket", () => {
  it('reads the same messages whatever the chunks, each body as long as its Content-Length', () => {
    const whole = new EslReader().push(SESSION);
    expect(whole.map((message) => [message.headers['Content-Type'], message.body])).toEqual([
      ['auth/request', ''],
      ['command/reply', ''],
      ['api/response', '-ERR No such channel!\n'],
      ['command/reply', ''],
      ['text/disconnect-notice', 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n'],
    ]);
    expect(whole[1]!.headers['Reply-Text']).toBe('+OK accepted');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: SESSION.length - 1 }), { maxLength: 20 }), (cuts) => {
        const at = [...new Set(cuts)].sort((a, b) => a - b);
        const reader = new EslReader();
        const read = [0, ...at].flatMap((start, index) =>
          reader.push(SESSION.slice(start, at[index] ?? SESSION.length)),
        );
        expect(read).toEqual(whole);
      }),
    );
  });

  it('refuses a flood and a Content-Length that is no length, with a line that says so', () => {
    expect(() => new EslReader().push('x'.repeat(1024 * 1024 + 1))).toThrow(/more than 1 MiB/);
    expect(() => new EslReader().push('Content-Type: api/response\nContent-Length: -3\n\n')).toThrow(
      /sent a Content-Length of "-3"/,
    );
    expect(() => new EslReader().push('Content-Length: 99999999999\n\n')).toThrow(/Content-Length/);
  });
});
