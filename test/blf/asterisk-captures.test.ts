/**
 * What a real Asterisk 23.4.1 (res_pjsip) sent lampfield (test/vectors/asterisk/, test/vectors/README.md),
 * read as lampfield reads it: a partner's dialog-info through one call (ringing with the caller's name,
 * busy, held, idle), what it cannot tell (an endpoint with no phone reads as idle), the presence that
 * can (src/blf/presence.ts), and the REFER's sipfrags of a pickup that worked.
 */
import { describe, expect, it } from 'vitest';
import type { DecodeLine } from '../../src/app/decode-text.ts';
import { DIALECTS, type DialectName } from '../../src/blf/dialects.ts';
import { PresenceIntake, readPidf } from '../../src/blf/presence.ts';
import { headerValue, notifyParts, readFirstRequest } from '../../src/sip/message-text.ts';
import { decodeVectors, readVector, vectorFiles } from '../support/vectors.ts';

const files = (prefix: string) => vectorFiles('asterisk', prefix);
const sequence = (prefix: string, dialect: DialectName = 'asterisk'): DecodeLine[] =>
  decodeVectors('asterisk', files(prefix), dialect);

describe('real Asterisk NOTIFYs', () => {
  it('a call to 207: idle (with no phone, and with one), ringing, busy, held, busy, idle', () => {
    const lines = sequence('dialog-207-');
    expect(lines.every((line) => line.accepted)).toBe(true);
    expect(lines.map((line) => line.state)).toEqual([
      'idle',
      'idle',
      'ringing',
      'busy',
      'held',
      'busy',
      'idle',
    ]);
  });

  it('names the caller of a ringing call, and picks it up by the pickup code: no call-id, no tags', () => {
    const ringing = sequence('dialog-207-')[2]!;
    expect(ringing.accepted && ringing.dialogs[0]).toMatchObject({
      callId: null,
      localTag: null,
      remoteTag: null,
      direction: 'recipient',
      remote: 'sip:211@127.0.0.1',
      remoteDisplay: 'Carl Dahl',
    });
    expect(ringing.accepted && ringing.pickup).toEqual({
      method: 'code',
      uri: 'sip:**207@127.0.0.1',
      replaces: null,
    });
  });

  it('reads the same with the generic dialect, but knows no pickup code there', () => {
    const generic = sequence('dialog-207-', 'generic');
    expect(generic.map((line) => line.state)).toEqual(sequence('dialog-207-').map((line) => line.state));
    expect(generic[2]!.accepted && generic[2]!.pickup).toBeNull();
  });

  it('presence: closed with no phone registered (offline), open once one is, and while it is on the phone', () => {
    const intake = new PresenceIntake();
    const states = files('presence-207-').map((file) => {
      const result = intake.notify(
        notifyParts(readFirstRequest(readVector(`asterisk/${file}`))!),
        'sip:207@127.0.0.1',
      );
      return result.accepted ? result.view.state : result.error.code;
    });
    expect(states).toEqual(['offline', 'idle', 'idle']);
  });

  it('the sipfrags of a pickup that worked: 100, then a final 503 (res_pjsip_refer.c, the masquerade)', () => {
    const bodies = files('refer-pickup-').map((file) => readFirstRequest(readVector(`asterisk/${file}`))!);
    expect(bodies.map((message) => message.body.split(/\r?\n/)[0])).toEqual([
      'SIP/2.0 100 Trying',
      'SIP/2.0 503 Service Unavailable',
    ]);
    expect(headerValue(bodies[1]!, 'subscription-state')).toMatch(/^terminated/);
    expect(DIALECTS.asterisk.sipfrag[503]).toBe('ask-the-calls');
  });
});

describe('PIDF (RFC 3863) as lampfield reads it', () => {
  const pidf = (tuples: string) =>
    `<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:207@pbx">${tuples}</presence>`;

  it('offline only when it has tuples and none is open', () => {
    expect(readPidf(pidf('<tuple id="a"><status><basic>closed</basic></status></tuple>'))).toEqual({
      ok: true,
      basics: ['closed'],
    });
    expect(
      readPidf(
        pidf(
          '<tuple id="a"><status><basic>closed</basic></status></tuple><tuple id="b"><status><basic> Open </basic></status></tuple>',
        ),
      ),
    ).toEqual({ ok: true, basics: ['closed', 'open'] });
    expect(readPidf(pidf(''))).toEqual({ ok: true, basics: [] });
    expect(readPidf(pidf('<tuple id="a"><status/></tuple>'))).toEqual({ ok: true, basics: [null] });
    expect(readPidf('')).toEqual({ ok: true, basics: [] });
  });

  it('refuses what is no PIDF, and hostile XML, with a code', () => {
    expect(readPidf('<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info"/>')).toMatchObject({
      ok: false,
      error: { code: 'not-pidf' },
    });
    expect(readPidf('<!DOCTYPE x [<!ENTITY a "b">]><presence/>')).toMatchObject({
      ok: false,
      error: { code: 'doctype' },
    });
    expect(readPidf('<presence><tuple>')).toMatchObject({ ok: false, error: { code: 'malformed-xml' } });
  });

  it('a refused document changes nothing: the partner stays as it was', () => {
    const intake = new PresenceIntake();
    const parts = (body: string, event = 'presence') => ({
      header: (name: string) => (name === 'event' ? event : null),
      body,
    });
    expect(
      intake.notify(parts(pidf('<tuple id="a"><status><basic>closed</basic></status></tuple>')), 'p').view
        .state,
    ).toBe('offline');
    expect(intake.notify(parts('<presence><tuple>'), 'p')).toMatchObject({
      accepted: false,
      view: { state: 'offline' },
    });
    expect(intake.notify(parts(pidf(''), 'dialog'), 'p')).toMatchObject({
      accepted: false,
      error: { code: 'not-presence-event' },
      view: { state: 'offline' },
    });
  });
});
