/**
 * A key press on its own (src/app/key-press.ts): the partner's state, read by the DialogIntake from
 * real captured NOTIFYs (Kamailio, the innovaphone seed), and the gesture give the call the desk phone
 * is to make, or the reason none can be made.
 */
import { describe, expect, it } from 'vitest';
import { planPress, pressWords, type PressedPartner, type PressRules } from '../../src/app/key-press.ts';
import { DIALECTS, type DialectName } from '../../src/blf/dialects.ts';
import { callerOf, DialogIntake } from '../../src/blf/dialog-intake.ts';
import type { PickupOptions } from '../../src/blf/pickup.ts';
import type { KeyConfig } from '../../src/config/config.ts';
import { notifyParts, readFirstRequest } from '../../src/sip/message-text.ts';
import { readVector } from '../support/vectors.ts';

const PARTNER = 'sip:207@127.0.0.1';

function key(extra: Partial<KeyConfig> = {}): KeyConfig {
  return { key: 1, partner: PARTNER, label: null, ...extra };
}

function rules(extra: Partial<PressRules> = {}, dialect: DialectName = 'kamailio'): PressRules {
  return {
    dialect: DIALECTS[dialect],
    domain: 'pbx.example.com',
    actions: {},
    pickup: {},
    deskPhone: true,
    pbx: { hosts: ['127.0.0.1', '172.16.16.180', 'pbx.example.com'], port: 5060 },
    ...extra,
  };
}

/** The partner after the captured NOTIFYs, read as a running watcher reads them (its subscription's). */
function partnerAfter(
  files: readonly string[],
  dialect: DialectName = 'kamailio',
  pickup: PickupOptions = {},
  partner = PARTNER,
): PressedPartner {
  const watcher = new DialogIntake(DIALECTS[dialect], { pickup });
  for (const file of files) {
    const result = watcher.notify(notifyParts(readFirstRequest(readVector(file))!), partner);
    if (!result.accepted) throw new Error(`${file}: ${result.error.message}`);
  }
  const view = watcher.view(partner);
  return { state: view.state, view };
}

const IDLE = ['kamailio/call-answered-1-empty.sip'];
const RINGING = ['kamailio/call-answered-1-empty.sip', 'kamailio/call-answered-2-early.sip'];

describe('a key press', () => {
  it('dials the partner on a short press of an idle key, and does nothing on a long one', () => {
    const idle = partnerAfter(IDLE);
    expect(idle.state).toBe('idle');
    expect(planPress(key(), 'short', idle, rules())).toEqual({
      kind: 'call',
      action: 'dial',
      target: PARTNER,
      pickup: null,
      fallbacks: [],
    });
    expect(planPress(key(), 'long', idle, rules())).toEqual({ kind: 'none' });
  });

  it('picks a ringing call up by Replaces on a short press, and dials the partner on a long one', () => {
    const ringing = partnerAfter(RINGING);
    expect(ringing.state).toBe('ringing');
    const plan = planPress(key(), 'short', ringing, rules());
    expect(plan).toEqual({
      kind: 'call',
      action: 'pickup',
      target:
        'sip:211@127.0.0.1:5092?Replaces=' +
        encodeURIComponent('1-9404@127.0.0.1;to-tag=9404a1;from-tag=9391c1;early-only'),
      pickup: {
        method: 'replaces',
        uri: 'sip:211@127.0.0.1:5092',
        replaces: '1-9404@127.0.0.1;to-tag=9404a1;from-tag=9391c1;early-only',
      },
      fallbacks: [],
    });
    // The pickup is the one the partner's view carries: the plan `lampfield decode` prints.
    expect(plan.kind === 'call' && plan.pickup).toEqual(
      ringing.view?.pickup?.ok && ringing.view.pickup.target,
    );
    expect(planPress(key(), 'long', ringing, rules())).toMatchObject({ kind: 'call', action: 'dial' });
  });

  it('picks up the innovaphone seed’s ringing call by its Call-ID alone: its dialog-info has no tags', () => {
    const seed = partnerAfter(['innovaphone/seed-1.sip'], 'innovaphone', {}, 'sip:207@172.16.16.180');
    expect(seed.state).toBe('ringing');
    const plan = planPress(
      key({ partner: 'sip:207@172.16.16.180' }),
      'short',
      seed,
      rules({}, 'innovaphone'),
    );
    expect(plan).toEqual({
      kind: 'call',
      action: 'pickup',
      target: `sip:211@172.16.16.180?Replaces=${encodeURIComponent('e1b50917e909d311824d0090330200d6;early-only')}`,
      pickup: {
        method: 'replaces',
        uri: 'sip:211@172.16.16.180',
        replaces: 'e1b50917e909d311824d0090330200d6;early-only',
      },
      fallbacks: [],
    });
  });

  it('dials a code with the partner’s number at the PBX’s domain', () => {
    const actions = { idle: { short: { 'dial-code': '*81{number}' } } };
    expect(planPress(key({ actions }), 'short', partnerAfter(IDLE), rules())).toEqual({
      kind: 'call',
      action: 'dial-code',
      target: 'sip:*81207@pbx.example.com',
      pickup: null,
      fallbacks: [],
    });
  });

  it('plans again with a key’s own pickup order, and only then', () => {
    const ringing = partnerAfter(RINGING, 'kamailio', { code: '**{number}' });
    const own = planPress(
      key({ pickup: ['code'] }),
      'short',
      ringing,
      rules({ pickup: { code: '**{number}' } }),
    );
    expect(own).toMatchObject({
      kind: 'call',
      target: 'sip:**207@127.0.0.1',
      pickup: { method: 'code', replaces: null },
    });
  });

  describe('refused, with its reason', () => {
    it('no-desk-phone: nothing can be called without phone.uri', () => {
      expect(planPress(key(), 'short', partnerAfter(RINGING), rules({ deskPhone: false }))).toEqual({
        kind: 'refused',
        action: 'pickup',
        code: 'no-desk-phone',
        reason: 'no desk phone configured (phone.uri)',
      });
    });

    it('not-ringing: a pickup of a partner who no longer rings', () => {
      const actions = { idle: { short: 'pickup' as const } };
      expect(planPress(key({ actions }), 'short', partnerAfter(IDLE), rules())).toMatchObject({
        kind: 'refused',
        action: 'pickup',
        code: 'not-ringing',
      });
      const unwatched: PressedPartner = { state: 'ringing', view: null };
      expect(planPress(key(), 'short', unwatched, rules())).toMatchObject({ code: 'not-ringing' });
    });

    it('no-pickup-method: every method of the order fails, each saying why', () => {
      const ringing = partnerAfter(RINGING);
      expect(planPress(key({ pickup: ['target', 'code'] }), 'short', ringing, rules())).toEqual({
        kind: 'refused',
        action: 'pickup',
        code: 'no-pickup-method',
        reason:
          'no pickup method possible (target: the remote target is not a pickup URI; code: no pickup feature code configured)',
      });
    });
  });

  describe('on a PBX that is not on port 5060', () => {
    const pbx = { hosts: ['127.0.0.1', 'pbx.example.com'], port: 5070 };

    it('sends the desk phone to the PBX’s port for the partner and for a code, which name none', () => {
      expect(planPress(key(), 'short', partnerAfter(IDLE), rules({ pbx }))).toMatchObject({
        target: 'sip:207@127.0.0.1:5070',
      });
      const actions = { idle: { short: { 'dial-code': '*81{number}' } } };
      expect(planPress(key({ actions }), 'short', partnerAfter(IDLE), rules({ pbx }))).toMatchObject({
        target: 'sip:*81207@pbx.example.com:5070',
      });
    });

    it('keeps a URI that names its port (the caller’s contact) and one on another host', () => {
      const ringing = partnerAfter(RINGING);
      expect(planPress(key(), 'short', ringing, rules({ pbx }))).toMatchObject({
        pickup: { method: 'replaces', uri: 'sip:211@127.0.0.1:5092' },
      });
      const elsewhere = key({ partner: 'sip:207@other.example.org' });
      expect(planPress(elsewhere, 'short', partnerAfter(IDLE), rules({ pbx }))).toMatchObject({
        target: 'sip:207@other.example.org',
      });
    });

    it('sends a pickup by code to the PBX’s port, before the Replaces of none', () => {
      const ringing = partnerAfter(RINGING);
      const own = planPress(
        key({ pickup: ['code'] }),
        'short',
        ringing,
        rules({ pbx, pickup: { code: '**{number}' } }),
      );
      expect(own).toMatchObject({
        target: 'sip:**207@127.0.0.1:5070',
        pickup: { uri: 'sip:**207@127.0.0.1:5070' },
      });
    });
  });
});

describe('a press in words, as the page lists it', () => {
  it('says what the press does, then what it did, with the caller the captured NOTIFY names', () => {
    const ringing = partnerAfter(RINGING);
    const caller = ringing.view == null ? null : callerOf(ringing.view);
    expect(caller).toBe('211');
    const plan = planPress(key({ label: 'Reception' }), 'short', ringing, rules());
    expect(pressWords(key({ label: 'Reception' }), 'ringing', caller, plan, false)).toEqual({
      stage: 'started',
      text: "picking up Reception's call from 211",
    });
    expect(pressWords(key(), 'ringing', caller, plan, true)).toEqual({
      stage: 'done',
      text: "picked up 207's call from 211",
    });
    const dial = planPress(key(), 'short', partnerAfter(IDLE), rules());
    expect(pressWords(key(), 'idle', null, dial, true).text).toBe('called 207');
  });

  it('says why a press failed, or that there was nothing to do', () => {
    const failed = {
      kind: 'failed',
      action: 'dial',
      reason: 'the desk phone is busy (486 Busy Here)',
    } as const;
    expect(pressWords(key(), 'idle', null, failed, true)).toEqual({
      stage: 'failed',
      text: 'failed: the desk phone is busy (486 Busy Here)',
    });
    const refused = planPress(key(), 'short', partnerAfter(IDLE), rules({ deskPhone: false }));
    expect(pressWords(key(), 'idle', null, refused, true).text).toBe(
      'failed: no desk phone configured (phone.uri)',
    );
    expect(pressWords(key(), 'busy', null, { kind: 'none' }, true)).toEqual({
      stage: 'nothing',
      text: 'nothing to do while 207 is busy',
    });
  });
});

describe('a press while the desk phone is in a call', () => {
  const call = {
    dialogId: 'd1',
    callId: '1-9404@127.0.0.1',
    localTag: '9391c1',
    remoteTag: '9404a1',
    peer: 'sip:211@127.0.0.1:5070',
    peerTarget: 'sip:211@127.0.0.1:5092',
    peerName: '211',
  };

  it("transfers the call to an idle partner, on the PBX's port, and says so", () => {
    const plan = planPress(key({ label: 'Reception' }), 'short', partnerAfter(IDLE), rules(), call);
    expect(plan).toEqual({ kind: 'transfer', action: 'transfer', target: PARTNER, call });
    expect(pressWords(key({ label: 'Reception' }), 'idle', null, plan, false).text).toBe(
      "transferring 211's call to Reception",
    );
    expect(pressWords(key(), 'idle', null, plan, true)).toEqual({
      stage: 'done',
      text: "transferred 211's call to 207",
    });
    const pbxOn5070 = rules({ pbx: { hosts: ['127.0.0.1'], port: 5070 } });
    expect(planPress(key(), 'short', partnerAfter(IDLE), pbxOn5070, call)).toMatchObject({
      target: 'sip:207@127.0.0.1:5070',
    });
  });

  it('picks a ringing partner up as without a call, and a long press still dials', () => {
    expect(planPress(key(), 'short', partnerAfter(RINGING), rules(), call)).toMatchObject({
      kind: 'call',
      action: 'pickup',
    });
    expect(planPress(key(), 'long', partnerAfter(IDLE), rules(), call)).toEqual({ kind: 'none' });
  });

  it('does nothing for an offline partner (no caller sent to a phone that is not there)', () => {
    const offline = { ...partnerAfter(IDLE), state: 'offline' as const };
    const plan = planPress(key(), 'short', offline, rules(), call);
    expect(plan).toEqual({ kind: 'none' });
    expect(pressWords(key(), 'offline', null, plan, true).text).toBe(
      'nothing to do while 207 is offline (no phone registered)',
    );
  });
});
