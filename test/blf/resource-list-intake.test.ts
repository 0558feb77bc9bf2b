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

  it('takes a NOTIFY without a body (RFC 6665 allows it) as no news: every partner stays as it was', () => {
    const list = watcher();
    for (const file of CAPTURES.slice(0, 3)) list.notify(notify(file), LIST);
    const before = read(list);
    const empty = { header: (name: string) => (name === 'event' ? 'dialog' : null), body: '' };
    expect(list.notify(empty, LIST)).toMatchObject({ accepted: true });
    expect(list.notAList).toBe(false);
    expect(read(list)).toEqual(before);
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

/** A list NOTIFY's body: RLMI naming `resources`, each pointing at part `cids[i]`, and the parts. */
function listNotify(resources: readonly { uri: string; cid: string }[], parts: ReadonlyMap<string, string>) {
  const rlmi =
    `<?xml version="1.0"?><list xmlns="urn:ietf:params:xml:ns:rlmi" uri="${LIST}" version="1" fullState="true">` +
    resources
      .map(
        ({ uri, cid }, i) =>
          `<resource uri="${uri}"><instance id="i${i}" state="active" cid="${cid}"/></resource>`,
      )
      .join('') +
    '</list>';
  const part = (id: string, type: string, body: string) =>
    `--bd\r\nContent-ID: <${id}>\r\nContent-Type: ${type}\r\n\r\n${body}\r\n`;
  const body =
    part('rlmi@x', 'application/rlmi+xml', rlmi) +
    [...parts].map(([id, doc]) => part(id, 'application/dialog-info+xml', doc)).join('') +
    '--bd--\r\n';
  return {
    header: (name: string) =>
      name === 'content-type'
        ? 'multipart/related;type="application/rlmi+xml";start="<rlmi@x>";boundary="bd"'
        : name === 'event'
          ? 'dialog'
          : name === 'call-id'
            ? 'list-1'
            : null,
    body,
  };
}

/** A dialog-info document with `dialogs` ended dialogs and one ringing: some 120 bytes a dialog. */
function ringing(entity: string, dialogs: number): string {
  const ended = Array.from(
    { length: dialogs },
    (_, i) => `<dialog id="e${i}" call-id="c${i}"><state>terminated</state></dialog>`,
  ).join('');
  return `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="${entity}">${ended}<dialog id="r" call-id="live" local-tag="a" remote-tag="b" direction="recipient"><state>early</state></dialog></dialog-info>`;
}

describe('a resource list read in time linear in its NOTIFY (each part once, each resource by an index)', () => {
  it('1,000 resources that all point to one 243 KB part: the part is read once, every key gets it', () => {
    const partners = Array.from({ length: 1000 }, (_, i) => `sip:${3000 + i}@127.0.0.1`);
    const list = new ResourceListIntake(DIALECTS.kamailio, partners, '127.0.0.1');
    const shared = ringing('sip:3000@127.0.0.1', 3600);
    expect(shared.length).toBeGreaterThan(200_000);
    const result = list.notify(
      listNotify(
        partners.map((uri) => ({ uri, cid: 'shared@x' })),
        new Map([['shared@x', shared]]),
      ),
      LIST,
    );
    expect(result).toMatchObject({ accepted: true });
    expect(list.partsRead).toBe(1);
    expect(partners.every((partner) => list.view(partner).state === 'ringing')).toBe(true);
  });

  it('reads no part twice and no part no resource names, whatever the list (seeded)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 120 }),
        (partCount, pointers) => {
          const partners = pointers.map((_, i) => `sip:${4000 + i}@127.0.0.1`);
          const parts = new Map(
            Array.from({ length: partCount }, (_, p) => [
              `p${p}@x`,
              ringing(`sip:${4000 + p}@127.0.0.1`, p % 5),
            ]),
          );
          const resources = partners.map((uri, i) => ({ uri, cid: `p${pointers[i]! % partCount}@x` }));
          const list = new ResourceListIntake(DIALECTS.kamailio, partners, '127.0.0.1');
          expect(list.notify(listNotify(resources, parts), LIST)).toMatchObject({ accepted: true });
          expect(list.partsRead).toBe(new Set(resources.map((resource) => resource.cid)).size);
        },
      ),
      { seed: 4662, numRuns: 60 },
    );
  });
});
