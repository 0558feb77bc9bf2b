import { describe, expect, it } from 'vitest';
import { readDialogNotify } from '../../src/blf/dialog-notify.ts';
import {
  headerValue,
  looksLikeSipMessage,
  notifyParts,
  readFirstRequest,
  readRequests,
} from '../../src/sip/message-text.ts';
import { readVector } from '../support/vectors.ts';

describe('SIP message text as copied from a trace', () => {
  it('takes the seed NOTIFY without the 200 Ok that follows it on the page', () => {
    const page = readVector('innovaphone/innovaphone-blf-partner-keys.txt');
    const start = page.indexOf('NOTIFY sip:');
    const message = readFirstRequest(page.slice(start))!;
    expect(message.method).toBe('NOTIFY');
    expect(headerValue(message, 'Call-ID')).toBe('0ce2cb4794c2-9b374j1ddupd@snomSoft-000413FFFFFF');
    expect(message.body.startsWith('<?xml')).toBe(true);
    expect(message.body.endsWith('</dialog-info>')).toBe(true);
  });

  it('reads compact header names, folded lines and CRLF', () => {
    const text =
      'NOTIFY sip:w@h SIP/2.0\r\ni: abc@h\r\nf: <sip:207@pbx>\r\n ;tag=1\r\no: dialog;shared\r\nc: application/dialog-info+xml\r\nl: 0\r\n\r\n';
    const message = readFirstRequest(text)!;
    expect(headerValue(message, 'call-id')).toBe('abc@h');
    expect(headerValue(message, 'from')).toBe('<sip:207@pbx> ;tag=1');
    const notify = readDialogNotify(notifyParts(message));
    expect(notify).toMatchObject({ ok: true, subscription: 'abc@h', body: '' });
  });

  it('accepts Event: dialog with parameters (RFC 7463 dialog;shared)', () => {
    const notify = readDialogNotify(
      notifyParts(readFirstRequest(readVector('dialog-info/rfc7463-11.2-F4-notify.sip'))!),
    );
    expect(notify.ok).toBe(true);
  });

  it('refuses another event package and a multipart body, with codes', () => {
    const rlmi = readDialogNotify(
      notifyParts(readFirstRequest(readVector('dialog-info/rfc4662-6-notify-rlmi-multipart.sip'))!),
    );
    expect(rlmi).toMatchObject({ ok: false, code: 'not-dialog-event' });
    const multipart = readFirstRequest(
      'NOTIFY sip:w@h SIP/2.0\nEvent: dialog\nContent-Type: multipart/related;type="application/rlmi+xml"\n\n--x\n',
    )!;
    expect(readDialogNotify(notifyParts(multipart))).toMatchObject({
      ok: false,
      code: 'unsupported-content-type',
    });
  });

  it('tells a bare body from a message', () => {
    expect(looksLikeSipMessage('<?xml version="1.0"?><dialog-info/>')).toBe(false);
    expect(looksLikeSipMessage('\n\nNOTIFY sip:a@b SIP/2.0\nEvent: dialog\n\n')).toBe(true);
  });

  it("keeps a sipfrag body's status line (RFC 3420), which looks like the next message, and ends it at the blank line", () => {
    const [refer, next] = readRequests(
      'NOTIFY sip:w@h SIP/2.0\nEvent: refer\nContent-Type: message/sipfrag;version=2.0\n\nSIP/2.0 503 Service Unavailable\n\nNOTIFY sip:w@h SIP/2.0\nEvent: dialog\n\n',
    );
    expect(refer!.body).toBe('SIP/2.0 503 Service Unavailable');
    expect(headerValue(next!, 'event')).toBe('dialog');
  });
});
