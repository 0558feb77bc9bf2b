/**
 * Resource list NOTIFYs (RFC 4662) read into each partner's state: Kamailio rls's real NOTIFYs
 * (test/vectors/kamailio/rls-list-*), their versions (RFC 4662 §5.6), and what is refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../src/blf/dialects.ts';
import { readMultipart } from '../../src/blf/multipart.ts';
import { ResourceListIntake } from '../../src/blf/resource-list-intake.ts';
import { readRlmi } from '../../src/blf/rlmi.ts';
import { notifyParts, readFirstRequest } from '../../src/sip/message-text.ts';
import { readVector } from '../support/vectors.ts';

const PARTNERS = ['sip:207@127.0.0.1', 'sip:211@127.0.0.1', 'sip:212@127.0.0.1', 'sip:213@127.0.0.1'];
const LIST = 'sip:blf-reception@127.0.0.1';
const CAPTURES = [
  'rls-list-1-full-no-instances.sip',
  'rls-list-2-partial-idle.sip',
  'rls-list-3-partial-207-ringing.sip',
  'rls-list-4-partial-talking.sip',
  'rls-list-5-partial-hung-up.sip',
];

const notify = (file: string) => notifyParts(readFirstRequest(readVector(`kamailio/${file}`))!);
const watcher = () => new ResourceListIntake(DIALECTS.kamailio, PARTNERS, '127.0.0.1');

/** Each partner as the keys would read it: its resource's state, and its dialogs' when active. */
function read(list: ResourceListIntake): string[] {
  return PARTNERS.map((partner) => {
    const resource = list.resource(partner);
    return resource.kind === 'active' ? list.view(partner).state : resource.kind;
  });
}

describe('a resource list from Kamailio rls', () => {
  it('reads each NOTIFY into every partner: no state yet, idle, ringing and busy, talking, idle', () => {
    const list = watcher();
    const seen = CAPTURES.map((file) => {
      expect(list.notify(notify(file), LIST)).toMatchObject({ accepted: true });
      return read(list);
    });
    expect(seen).toEqual([
      ['pending', 'pending', 'pending', 'absent'],
      ['idle', 'idle', 'idle', 'absent'],
      ['ringing', 'busy', 'idle', 'absent'], // 211 calls (caller_confirmed), 207 rings: one NOTIFY
      ['busy', 'busy', 'idle', 'absent'],
      ['idle', 'idle', 'idle', 'absent'],
    ]);
  });

  it('plans the pickup of the ringing partner from its part, as its own subscription would', () => {
    const list = watcher();
    for (const file of CAPTURES.slice(0, 3)) list.notify(notify(file), LIST);
    expect(list.view('sip:207@127.0.0.1').pickup).toMatchObject({ ok: true, target: { method: 'replaces' } });
  });

  it('drops a NOTIFY it has already had, and asks for full state when versions are skipped', () => {
    const list = watcher();
    list.notify(notify(CAPTURES[0]!), LIST);
    list.notify(notify(CAPTURES[1]!), LIST);
    expect(list.notify(notify(CAPTURES[1]!), LIST)).toMatchObject({
      accepted: false,
      error: { code: 'stale-version' },
      resubscribe: false,
    });
    // Version 4 after 2: applied, and a refresh is asked for (RFC 4662 §5.6.2).
    expect(list.notify(notify(CAPTURES[3]!), LIST)).toMatchObject({ accepted: false, resubscribe: true });
    expect(read(list)).toEqual(['busy', 'busy', 'idle', 'absent']);
  });

  it('takes no partial list before a full one, and starts afresh with a new subscription', () => {
    const list = watcher();
    expect(list.notify(notify(CAPTURES[1]!), LIST)).toMatchObject({
      accepted: false,
      error: { code: 'bad-list' },
      resubscribe: true,
    });
    expect(read(list)).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
    list.notify(notify(CAPTURES[0]!), LIST);
    list.notify(notify(CAPTURES[1]!), LIST);
    // The same version 1 under another Call-ID: a new list subscription, read from the start.
    const again = notify(CAPTURES[0]!);
    const renewed = {
      ...again,
      header: (name: string) => (name === 'call-id' ? 'another' : again.header(name)),
    };
    expect(list.notify(renewed, LIST)).toMatchObject({ accepted: true });
    expect(read(list)).toEqual(['pending', 'pending', 'pending', 'absent']);
  });

  it("says when the PBX answers with one resource's document instead of a list", () => {
    const list = watcher();
    const single = notifyParts(readFirstRequest(readVector('kamailio/call-answered-2-early.sip'))!);
    expect(list.notify(single, LIST)).toMatchObject({ accepted: false, error: { code: 'not-a-list' } });
    expect(list.notAList).toBe(true);
  });

  it("refuses RFC 4662 §6's own example in one line: its RLMI has a stray quote (and pidf parts)", () => {
    const example = notifyParts(
      readFirstRequest(readVector('dialog-info/rfc4662-6-notify-rlmi-multipart.sip'))!,
    );
    const list = watcher();
    const parts = {
      ...example,
      header: (name: string) => (name === 'event' ? 'dialog' : example.header(name)),
    };
    const result = list.notify(parts, LIST);
    expect(result).toMatchObject({ accepted: false, error: { code: 'bad-list' } });
    expect(result.accepted ? '' : result.error.message).toMatch(/^malformed XML/);
  });
});

describe('multipart/related and RLMI, on their own', () => {
  it('finds the parts, their types and Content-IDs, and the root the start parameter names', () => {
    const body =
      '--b1\r\nContent-ID: <a@x>\r\nContent-Type: text/plain\r\n\r\none\r\n--b1\r\nContent-ID: <b@x>\r\n\r\ntwo\r\n\r\n--b1--\r\n';
    expect(readMultipart('multipart/related;boundary="b1";start="<b@x>"', `preamble\r\n${body}`)).toEqual({
      ok: true,
      start: 'b@x',
      parts: [
        { type: 'text/plain', id: 'a@x', body: 'one' },
        { type: null, id: 'b@x', body: 'two\r\n' },
      ],
    });
    expect(readMultipart('multipart/related', body)).toMatchObject({ ok: false });
    expect(readMultipart('multipart/related;boundary=b1', '--b1\r\n\r\nno end')).toMatchObject({ ok: false });
  });

  it('reads fullState as true/false or 1/0, and refuses an RLMI without a version', () => {
    const rlmi = (attributes: string) =>
      readRlmi(`<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:l@x" ${attributes}/>`);
    expect(rlmi('version="0" fullState="1"')).toMatchObject({
      ok: true,
      list: { fullState: true, version: 0 },
    });
    expect(rlmi('version="3" fullState="false"')).toMatchObject({ ok: true, list: { fullState: false } });
    expect(rlmi('fullState="true"')).toMatchObject({ ok: false });
    expect(readRlmi('<list uri="sip:l@x" version="1" fullState="true"/>')).toMatchObject({ ok: false });
  });

  it('never throws and never changes a partner on any body a list NOTIFY may bring', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ maxLength: 20 }), (body, boundary) => {
        const list = watcher();
        const parts = {
          header: (name: string) =>
            name === 'content-type'
              ? `multipart/related;boundary="${boundary}"`
              : name === 'event'
                ? 'dialog'
                : null,
          body,
        };
        list.notify(parts, LIST);
        return PARTNERS.every((partner) => list.view(partner).state === 'unknown');
      }),
    );
  });
});
