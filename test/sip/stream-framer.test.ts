/**
 * Framing a TCP byte stream into SIP messages (RFC 3261 §18.3), as a PBX's connection delivers it: in
 * chunks cut anywhere, several messages per chunk, keepalive CRLFs between them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipStreamFramer, STREAM_BODY_LIMIT, type Framed } from '../../src/sip/stream-framer.ts';
import { readVector } from '../support/vectors.ts';

function notify(
  body: string,
  contentLength: string | null = String(Buffer.byteLength(body, 'utf8')),
): string {
  const lines = [
    'NOTIFY sip:lampfield@127.0.0.1:5070;transport=tcp SIP/2.0',
    'Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-1',
    'From: <sip:207@127.0.0.1>;tag=n1',
    'To: <sip:lampfield@127.0.0.1>;tag=s1',
    'Call-ID: c1',
    'CSeq: 2 NOTIFY',
    'Event: dialog',
    'Subscription-State: active;expires=600',
    'Content-Type: application/dialog-info+xml',
  ];
  if (contentLength != null) lines.push(`Content-Length: ${contentLength}`);
  // One character per byte, as the socket hands them over (setEncoding('binary')).
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8').toString('binary');
}

const texts = (framed: Framed[]) => framed.map((f) => (f.kind === 'message' ? f.text : f.kind));

const BODY = readVector('dialog-info/asterisk-pjsip-v1-early-recipient.xml');

describe('SipStreamFramer', () => {
  it('frames messages however the stream is cut, CRLF keepalives between them ignored', () => {
    const stream = ['\r\n\r\n', notify(BODY), '\r\n', notify(''), notify('<dialog-info/>é')];
    const whole = stream.join('');
    const expected = [notify(BODY), notify(''), notify('<dialog-info/>é')];
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 40 }),
        (cuts) => {
          const framer = new SipStreamFramer();
          const at = [0, ...cuts.sort((a, b) => a - b), whole.length];
          const out = at.slice(1).flatMap((end, i) => framer.push(whole.slice(at[i], end)));
          expect(texts(out)).toEqual(expected);
        },
      ),
      { seed: 4235, numRuns: 300 },
    );
  });

  it('reads a message one byte at a time', () => {
    const framer = new SipStreamFramer();
    const text = notify(BODY);
    const out = [...text].flatMap((byte) => framer.push(byte));
    expect(texts(out)).toEqual([text]);
  });

  it('takes a message without Content-Length as having no body (RFC 3261 §18.3 requires it on TCP)', () => {
    const framer = new SipStreamFramer();
    const bare = notify('', null);
    expect(texts(framer.push(bare + notify('x')))).toEqual([bare, notify('x')]);
  });

  it('reads the compact form `l:` (RFC 3261 §7.3.3)', () => {
    const framer = new SipStreamFramer();
    const compact = notify('abc', null).replace('\r\n\r\n', '\r\nl: 3\r\n\r\n');
    expect(texts(framer.push(compact))).toEqual([compact]);
  });

  it('frames a 1 MiB body, and hands up the headers of a larger one with its bytes skipped', () => {
    const framer = new SipStreamFramer();
    const fits = notify('a'.repeat(STREAM_BODY_LIMIT));
    const over = notify('b'.repeat(STREAM_BODY_LIMIT + 1));
    const chunks = `${fits}${over}${notify(BODY)}`.match(/[\s\S]{1,65536}/g)!;
    const out = chunks.flatMap((chunk) => framer.push(chunk));
    expect(out.map((f) => f.kind)).toEqual(['message', 'too-large', 'message']);
    expect(out[0]).toEqual({ kind: 'message', text: fits });
    expect(out[1]).toEqual({
      kind: 'too-large',
      head: over.slice(0, over.indexOf('\r\n\r\n') + 4),
      declared: STREAM_BODY_LIMIT + 1,
    });
    expect(out[2]).toEqual({ kind: 'message', text: notify(BODY) });
  });

  it('gives up on headers with no end, and on a length that cannot frame the stream', () => {
    const endless = new SipStreamFramer();
    const flood = endless.push(`NOTIFY sip:a SIP/2.0\r\nX: ${'y'.repeat(70_000)}`);
    expect(flood).toEqual([{ kind: 'broken', reason: 'headers run past 65536 bytes without an empty line' }]);
    expect(endless.push(notify(''))).toEqual([]);

    for (const length of ['-1', 'ten', '99999999999']) {
      expect(
        new SipStreamFramer().push(notify('', length)).map((f) => f.kind),
        length,
      ).toEqual(['broken']);
    }
    const twice = notify('ab').replace('Content-Length: 2', 'Content-Length: 2\r\nl: 3');
    expect(new SipStreamFramer().push(twice).map((f) => f.kind)).toEqual(['broken']);
    const agree = notify('ab').replace('Content-Length: 2', 'Content-Length: 2\r\nl: 2');
    expect(texts(new SipStreamFramer().push(agree))).toEqual([agree]);
  });

  it('says when a message has begun and not ended (the peer owes the rest), and not between messages', () => {
    const framer = new SipStreamFramer();
    expect(framer.midMessage).toBe(false);
    framer.push('\r\n\r\n'); // keepalive CRLFs (RFC 5626 §3.5.1) begin nothing
    expect(framer.midMessage).toBe(false);
    const whole = notify(BODY);
    framer.push(whole.slice(0, 40)); // in the headers
    expect(framer.midMessage).toBe(true);
    framer.push(whole.slice(40, whole.length - 5)); // in the body
    expect(framer.midMessage).toBe(true);
    expect(texts(framer.push(whole.slice(whole.length - 5)))).toEqual([whole]);
    expect(framer.midMessage).toBe(false);
    framer.push(notify('', String(STREAM_BODY_LIMIT + 10))); // a body being skipped is owed too
    expect(framer.midMessage).toBe(true);
  });
});
