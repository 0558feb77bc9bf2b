/**
 * What a real FreeSWITCH 1.10.12 (mod_sofia, manage-presence) sent lampfield (test/vectors/freeswitch/,
 * test/vectors/README.md), read as lampfield reads it: a partner's dialog-info through calls (idle with
 * no phone and with one, ringing with the caller's name, busy, idle), each `presence-hold-state` value's
 * report of a held call, the presence that says offline, and the REFER's sipfrag of a pickup.
 */
import { describe, expect, it } from 'vitest';
import type { DecodeLine } from '../../src/app/decode-text.ts';
import { DIALECTS, type DialectName } from '../../src/blf/dialects.ts';
import { PresenceIntake } from '../../src/blf/presence.ts';
import { headerValue, notifyParts, readFirstRequest } from '../../src/sip/message-text.ts';
import { decodeVectors, readVector, vectorFiles } from '../support/vectors.ts';

const files = (prefix: string) => vectorFiles('freeswitch', prefix);
const sequence = (names: readonly string[], dialect: DialectName = 'freeswitch'): DecodeLine[] =>
  decodeVectors('freeswitch', names, dialect);

describe('real FreeSWITCH NOTIFYs', () => {
  it('calls to 207: idle (with no phone, and with one), ringing, busy, idle, ringing again, idle', () => {
    const lines = sequence(files('dialog-207-'));
    expect(lines.every((line) => line.accepted)).toBe(true);
    expect(lines.map((line) => line.state)).toEqual([
      'idle',
      'idle',
      'ringing',
      'busy',
      'idle',
      'ringing',
      'idle',
    ]);
  });

  it('names the caller of a ringing call and picks it up by the intercept target FreeSWITCH writes: no call-id, no tags, so no Replaces', () => {
    const ringing = sequence(files('dialog-207-'))[2]!;
    expect(ringing.accepted && ringing.dialogs[0]).toMatchObject({
      callId: null,
      localTag: null,
      remoteTag: null,
      direction: 'recipient',
      remote: 'sip:211@127.0.0.1',
      remoteDisplay: 'Carl Dahl',
    });
    expect(ringing.accepted && ringing.pickup).toEqual({
      method: 'target',
      uri: 'sip:**207@127.0.0.1',
      replaces: null,
    });
  });

  it('a held call, as each presence-hold-state reports it: early and confirmed read as held (+sip.rendering=no), terminated as idle', () => {
    const held = (value: string) =>
      sequence(['dialog-211-4-confirmed.sip', `dialog-211-5-held-${value}.sip`]).map((line) => line.state);
    expect(held('early')).toEqual(['busy', 'held']);
    expect(held('confirmed')).toEqual(['busy', 'held']);
    // FreeSWITCH ends the dialog in its report: nothing in it is left to read as a call.
    expect(held('terminated')).toEqual(['busy', 'idle']);
    expect(sequence(['dialog-211-5-held-early.sip', 'dialog-211-6-resumed.sip']).map((l) => l.state)).toEqual(
      ['held', 'busy'],
    );
  });

  it('the generic dialect reads the same states', () => {
    const names = files('dialog-207-');
    expect(sequence(names, 'generic').map((line) => line.state)).toEqual(
      sequence(names).map((line) => line.state),
    );
  });

  it('presence: closed ("Unregistered") with no phone registered, open once one is, closed again after', () => {
    const intake = new PresenceIntake();
    const states = files('presence-207-').map((file) => {
      const result = intake.notify(
        notifyParts(readFirstRequest(readVector(`freeswitch/${file}`))!),
        'sip:207@127.0.0.1',
      );
      return result.accepted ? result.view.state : result.error.code;
    });
    expect(states).toEqual(['offline', 'idle', 'offline']);
  });

  it("a pickup's REFER: a final sipfrag 200 at once, then FreeSWITCH's BYE of lampfield's call (what says it was carried out)", () => {
    const [notify, bye] = files('refer-pickup-').map((file) =>
      readFirstRequest(readVector(`freeswitch/${file}`))!,
    );
    expect(notify!.body.split(/\r?\n/)[0]).toBe('SIP/2.0 200 OK');
    expect(headerValue(notify!, 'subscription-state')).toBe('terminated;reason=noresource');
    expect(bye!.method).toBe('BYE');
    expect(readVector('freeswitch/refer-pickup-2-bye.sip')).toMatch(
      /^BYE sip:900@127\.0\.0\.1:\d+ SIP\/2\.0\r\n/,
    );
    expect(headerValue(bye!, 'call-id')).toBe(headerValue(notify!, 'call-id'));
    expect(DIALECTS.freeswitch.referringCallEndedBy).toBe('pbx');
  });
});
