/**
 * How a press's call is carried out when the first way fails, against a scripted PBX and desk phone
 * over real UDP (the desk phone's answers are what the test sets): a pickup falls through its methods
 * when the referred call fails with 404, 481 or 603; a phone that answers REFER 405 gets the call from
 * lampfield as controller (`mode: auto`). The log names each try.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningWatcher } from '../../src/app/watcher.ts';
import { headerText, referToUri, tagOf, type SipMessage } from '../../src/sip/message.ts';
import type { IncomingRequest } from '../../src/sip/stack.ts';
import type { MemoryLogger } from '../../src/util/log.ts';
import { closeScriptedPbxs, ScriptedPbx, watcherPort } from '../support/scripted-pbx.ts';
import { readVector } from '../support/vectors.ts';
import { PARTNER_207, watch207 } from '../support/watcher-rig.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await closeScriptedPbxs();
});

const PARTNER = PARTNER_207;
const OFFER = readVector('desk-phones/baresip-1.0-200-offer.sip').split(/\r?\n\r?\n/)[1]!;

interface Rig {
  pbx: ScriptedPbx;
  watcher: RunningWatcher;
  log: MemoryLogger;
  /** Every request the PBX (and the desk phone behind it) got, by method. */
  got(method: string): IncomingRequest[];
}

/**
 * lampfield on a scripted PBX whose desk phone answers INVITE with an offer (saying `supported`), and
 * REFER with `referAnswer`, then a sipfrag `sipfrag(referTo)`. A far INVITE (lampfield's, as
 * controller) is answered 200 with an answer.
 */
async function rig(options: {
  dialect: string;
  pickupCode?: string;
  supported?: string;
  referAnswer?: number;
  sipfrag?: (referTo: string) => string;
  /** After the sipfrag, the PBX ends the call the REFER came in (FreeSWITCH, once it moved the call). */
  byeAfterSipfrag?: boolean;
}): Promise<Rig> {
  const pbx = await ScriptedPbx.open();
  let port = 0;
  pbx.answer = (request) => {
    const { message } = request;
    const toUs = (extra: Record<string, unknown> = {}) => ({
      headers: {
        to: { ...message.headers.to!, params: { ...message.headers.to!.params, tag: 'desk' } },
        contact: [{ uri: `sip:201@${pbx.stack.hostPort}`, params: {} }],
        ...extra,
      },
    });
    switch (message.method) {
      case 'SUBSCRIBE':
        port = watcherPort(message);
        pbx.accept(request);
        return;
      case 'INVITE': {
        // The desk phone offers (saying what it supports); the partner, called by lampfield as
        // controller, answers with the same codec.
        const desk = message.uri?.startsWith('sip:201@') === true && options.supported != null;
        request.respond(200, 'OK', {
          ...toUs({ 'content-type': 'application/sdp', ...(desk ? { supported: options.supported } : {}) }),
          content: OFFER,
        });
        return;
      }
      case 'REFER': {
        const status = options.referAnswer ?? 202;
        request.respond(status, status === 202 ? 'Accepted' : 'Method Not Allowed', toUs());
        if (status === 202)
          void sipfrag(pbx, message, port, options.sipfrag?.(referToUri(message) ?? '') ?? '200 OK').then(
            () => (options.byeAfterSipfrag === true ? bye(pbx, message, port) : undefined),
          );
        return;
      }
      default:
        request.respond(200);
    }
  };
  const { watcher, log } = await watch207(pbx.stack.port, {
    pbx: {
      dialect: options.dialect,
      keepaliveSeconds: 0,
      ...(options.pickupCode == null ? {} : { pickupCode: options.pickupCode }),
    },
    log: { level: 'debug', sipTrace: true },
  });
  cleanup.push(() => watcher.stop());
  await vi.waitFor(() => expect(pbx.subscribes()).toHaveLength(1));
  return {
    pbx,
    watcher,
    log,
    got: (method) => pbx.requests.filter((request) => request.message.method === method),
  };
}

/** The desk phone's sipfrag NOTIFY for a REFER it took (RFC 3515 §2.4.5), in the REFER's dialog. */
function sipfrag(pbx: ScriptedPbx, refer: SipMessage, port: number, status: string): Promise<SipMessage> {
  return pbx.stack.request(
    {
      method: 'NOTIFY',
      uri: `sip:900@127.0.0.1:${port}`,
      headers: {
        to: refer.headers.from!,
        from: {
          ...refer.headers.to!,
          params: { ...refer.headers.to!.params, tag: tagOf(refer.headers.to) ?? 'desk' },
        },
        'call-id': refer.headers['call-id'],
        cseq: { seq: 1, method: 'NOTIFY' },
        event: 'refer',
        'subscription-state': 'terminated;reason=noresource',
        'content-type': 'message/sipfrag;version=2.0',
      },
      content: `SIP/2.0 ${status}\r\n`,
    },
    { protocol: 'UDP', address: '127.0.0.1', port },
  );
}

/** The desk phone's side of the call a REFER came in ends it (a BYE in that dialog). */
function bye(pbx: ScriptedPbx, refer: SipMessage, port: number): Promise<SipMessage> {
  return pbx.stack.request(
    {
      method: 'BYE',
      uri: `sip:900@127.0.0.1:${port}`,
      headers: {
        to: refer.headers.from!,
        from: { ...refer.headers.to!, params: { ...refer.headers.to!.params, tag: 'desk' } },
        'call-id': refer.headers['call-id'],
        cseq: { seq: 2, method: 'BYE' },
      },
    },
    { protocol: 'UDP', address: '127.0.0.1', port },
  );
}

/** Makes 207 ring (an early dialog from 211, with tags) in the watcher's subscription. */
async function ringing(rig: Rig): Promise<void> {
  const subscribe = rig.pbx.subscribes()[0]!.message;
  const body = readVector('kamailio/missed-then-answered-207-2-early.sip').split(/\r?\n\r?\n/)[1]!;
  await rig.pbx.notify(subscribe, watcherPort(subscribe), body);
  await vi.waitFor(() => expect(rig.watcher.partner(PARTNER)?.situation).toBe('ringing'));
}

const infos = (log: MemoryLogger) =>
  log.lines.filter((line) => line.level === 'info').map((line) => line.message);

describe('the desk phone’s calls, when the first way fails', () => {
  it('falls through to the pickup code when the Replaces is answered 481', async () => {
    const r = await rig({
      dialect: 'asterisk',
      supported: 'replaces',
      sipfrag: (referTo) =>
        referTo.includes('Replaces=') ? '481 Call/Transaction Does Not Exist' : '200 OK',
    });
    await ringing(r);
    expect(await r.watcher.press(1, 'short')).toMatchObject({ kind: 'call', action: 'pickup' });
    const referTos = r.got('REFER').map((request) => referToUri(request.message));
    expect(referTos).toEqual([
      expect.stringMatching(
        /^sip:211@127\.0\.0\.1:5092\?Replaces=1-9723%40127\.0\.0\.1%3Bto-tag%3D9723a1%3Bfrom-tag%3D9699c1%3Bearly-only$/,
      ) as string,
      `sip:**207@127.0.0.1:${r.pbx.stack.port}`,
    ]);
    expect(infos(r.log)).toContain(
      'key 1: pickup by replaces failed (the call was already answered elsewhere (481 to Replaces)); trying code',
    );
    expect(r.log.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('does not fall through on a failure another method would meet too (486)', async () => {
    const r = await rig({ dialect: 'asterisk', supported: 'replaces', sipfrag: () => '486 Busy Here' });
    await ringing(r);
    expect(await r.watcher.press(1, 'short')).toMatchObject({ kind: 'failed', action: 'pickup' });
    expect(r.got('REFER')).toHaveLength(1);
  });

  it('calls as controller when the phone answers REFER 405 (mode auto)', async () => {
    const r = await rig({ dialect: 'kamailio', referAnswer: 405 });
    expect(await r.watcher.press(1, 'short')).toMatchObject({ kind: 'call', action: 'dial' });
    expect(infos(r.log)).toContain('the desk phone does not take REFER (405); lampfield calls as controller');
    // The desk phone was called twice (REFER, then controller); the partner got the phone's offer.
    const invites = r.got('INVITE').map((request) => request.message);
    expect(invites.map((invite) => invite.uri)).toEqual([
      'sip:201@127.0.0.1',
      'sip:201@127.0.0.1',
      `sip:207@127.0.0.1:${r.pbx.stack.port}`,
    ]);
    expect(invites[2]!.content).toBe(OFFER);
    expect(headerText(invites[2]!, 'replaces')).toBeNull();
    expect(r.watcher.controlledCalls()).toBe(1);
  });

  it('sends a REFER again that Asterisk refused as too early (sipfrag 400: its bridge not made yet), in the same call', async () => {
    let refers = 0;
    const r = await rig({
      dialect: 'asterisk',
      sipfrag: () => (++refers === 1 ? '400 Bad Request' : '200 OK'),
    });
    expect(await r.watcher.press(1, 'short')).toMatchObject({ kind: 'call', action: 'dial' });
    const sent = r.got('REFER').map((request) => request.message);
    expect(sent.map((refer) => refer.headers['call-id'])).toEqual([
      r.got('INVITE')[0]!.message.headers['call-id'],
      r.got('INVITE')[0]!.message.headers['call-id'],
    ]);
    const [first, second] = sent.map((refer) => refer.headers.cseq!.seq);
    expect(second).toBe(first! + 1);
    expect(infos(r.log)).toContain('the REFER came too early for the PBX (400): sent again in 150 ms');
    expect(r.got('INVITE')).toHaveLength(1); // the desk phone was called once
  });

  it('gives up after two more tries, with one warning; elsewhere a 400 is the call failing at once', async () => {
    const r = await rig({ dialect: 'asterisk', sipfrag: () => '400 Bad Request' });
    expect(await r.watcher.press(1, 'short')).toMatchObject({ kind: 'failed', action: 'dial' });
    expect(r.got('REFER')).toHaveLength(3);
    expect(r.log.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    const generic = await rig({ dialect: 'kamailio', sipfrag: () => '400 Bad Request' });
    expect(await generic.watcher.press(1, 'short')).toMatchObject({ kind: 'failed', action: 'dial' });
    expect(generic.got('REFER')).toHaveLength(1);
  });

  it("FreeSWITCH: its sipfrag 200 counts once it ended lampfield's call (it moved the desk phone's), and lampfield sends no BYE of its own", async () => {
    const r = await rig({ dialect: 'freeswitch', byeAfterSipfrag: true });
    expect(await r.watcher.press(1, 'short')).toMatchObject({ kind: 'call', action: 'dial' });
    expect(r.got('REFER')).toHaveLength(1);
    // A BYE of lampfield's would race FreeSWITCH's move of the desk phone's channel (dialects.ts): none
    // was sent (the SIP trace has every message lampfield sent, as it sent it).
    const sent = r.log.lines
      .filter((line) => line.message === 'SIP out')
      .map((line) => line.fields?.['text']);
    expect(sent.filter((text) => String(text).startsWith('REFER '))).toHaveLength(1);
    expect(sent.filter((text) => String(text).startsWith('BYE '))).toEqual([]);
  });

  it('FreeSWITCH: a sipfrag 200 without its BYE is not taken for done: lampfield ends its call and the press fails with why', async () => {
    const r = await rig({ dialect: 'freeswitch' });
    const outcome = await r.watcher.press(1, 'short');
    expect(outcome).toMatchObject({ kind: 'failed', action: 'dial' });
    expect('reason' in outcome ? outcome.reason : '').toBe(
      "the PBX answered the REFER 200 OK but did not end lampfield's call, as it does when it carries one out",
    );
    expect(r.got('REFER')).toHaveLength(1); // not sent again: what FreeSWITCH did with it is not known
    await vi.waitFor(() => expect(r.got('BYE')).toHaveLength(1));
  });
});
