/**
 * The registration event package (RFC 3680) as lampfield reads it: Kamailio's real reg NOTIFYs for 207
 * (test/vectors/kamailio/reg-207-*: never registered, registered, unregistered, registered again), and
 * documents written as RFC 3680 §5.3 describes partial state.
 */
import { describe, expect, it } from 'vitest';
import { readReginfo, RegIntake, withRegistration } from '../../src/blf/reginfo.ts';
import { notifyParts, readFirstRequest } from '../../src/sip/message-text.ts';
import { readVector } from '../support/vectors.ts';

const PARTNER = 'sip:207@127.0.0.1';
const notify = (file: string) => notifyParts(readFirstRequest(readVector(`kamailio/${file}`))!);
const parts = (body: string, event = 'reg') => ({
  header: (name: string) => (name === 'event' ? event : null),
  body,
});
const doc = (version: number, state: 'full' | 'partial', contacts: string) =>
  `<?xml version="1.0"?><reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="${version}" state="${state}">` +
  `<registration aor="${PARTNER}" id="r1" state="active">${contacts}</registration></reginfo>`;
const contact = (id: string, state: string) =>
  `<contact id="${id}" state="${state}" event="registered"><uri>sip:207@192.0.2.${id}</uri></contact>`;

describe('reg NOTIFYs', () => {
  it("reads Kamailio's: offline before 207 registers, idle while registered, offline once unregistered", () => {
    const watcher = new RegIntake();
    const states = [
      'reg-207-1-empty.sip',
      'reg-207-2-registered.sip',
      'reg-207-3-unregistered.sip',
      'reg-207-4-registered-again.sip',
    ].map((file) => {
      const result = watcher.notify(notify(file), PARTNER);
      if (!result.accepted) throw new Error(`${file}: ${result.error.message}`);
      return result.view.state;
    });
    expect(states).toEqual(['offline', 'idle', 'offline', 'idle']);
  });

  it('reads the registration and its contact as Kamailio writes them', () => {
    const read = readReginfo(readFirstRequest(readVector('kamailio/reg-207-2-registered.sip'))!.body);
    expect(read).toMatchObject({
      ok: true,
      document: {
        version: 0,
        state: 'full',
        registrations: [
          {
            aor: PARTNER,
            state: 'active',
            contacts: [{ state: 'active', event: 'created' }],
          },
        ],
      },
    });
    expect(read.ok && read.document.registrations[0]!.contacts[0]!.uri).toMatch(/^sip:207@127\.0\.0\.1:\d+$/);
  });

  it('applies partial documents contact by contact, and asks for full state after a gap', () => {
    const watcher = new RegIntake();
    const state = (body: string) => {
      const result = watcher.notify(parts(body), PARTNER);
      return result.accepted ? result.view.state : [result.error.code, result.resubscribe];
    };
    expect(state(doc(0, 'full', contact('1', 'active') + contact('2', 'active')))).toBe('idle');
    expect(state(doc(1, 'partial', contact('1', 'terminated')))).toBe('idle'); // contact 2 still there
    expect(state(doc(2, 'partial', contact('2', 'terminated')))).toBe('offline');
    expect(state(doc(4, 'partial', contact('2', 'active')))).toEqual(['version-gap', true]);
    expect(watcher.view(PARTNER).state).toBe('offline'); // the refused document changed nothing
    expect(state(doc(1, 'full', contact('3', 'active')))).toEqual(['stale-version', false]);
    expect(state(doc(5, 'full', contact('3', 'active')))).toBe('idle');
  });

  it('refuses what is not reginfo, another event, and a DOCTYPE, changing nothing', () => {
    const watcher = new RegIntake();
    expect(watcher.view(PARTNER).state).toBe('unknown');
    const refused = (body: string, event?: string) => {
      const result = watcher.notify(parts(body, event), PARTNER);
      return result.accepted ? 'accepted' : result.error.code;
    };
    expect(
      refused('<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full"/>'),
    ).toBe('not-reginfo');
    expect(refused(doc(0, 'full', contact('1', 'active')), 'dialog')).toBe('not-reg-event');
    expect(refused('<!DOCTYPE x [<!ENTITY a "b">]><reginfo/>')).toBe('doctype');
    expect(refused('<reginfo version="x"/>')).toBe('bad-version');
    expect(refused('<reginfo><registration')).toBe('malformed-xml');
    expect(watcher.view(PARTNER).state).toBe('unknown');
  });
});

describe('a partner with its registrations', () => {
  const reg = (
    status: 'pending' | 'active' | 'lost' | 'refused',
    situation: 'idle' | 'offline' | 'unknown',
  ) => ({
    status,
    situation,
  });
  it('is offline only where dialogs show no call, and waits for the first reg answer before idle', () => {
    expect(withRegistration('idle', reg('active', 'offline'))).toBe('offline');
    expect(withRegistration('unknown', reg('active', 'offline'))).toBe('offline');
    expect(withRegistration('busy', reg('active', 'offline'))).toBe('busy'); // a call shows, whatever reg says
    expect(withRegistration('refused', reg('active', 'offline'))).toBe('refused');
    expect(withRegistration('idle', reg('active', 'idle'))).toBe('idle');
    expect(withRegistration('idle', reg('pending', 'unknown'))).toBe('unknown'); // not idle, then offline
    expect(withRegistration('idle', reg('refused', 'unknown'))).toBe('idle'); // the PBX has no reg
    expect(withRegistration('idle', reg('lost', 'unknown'))).toBe('idle');
    expect(withRegistration('ringing', null)).toBe('ringing');
  });
});
