/**
 * Subscription behaviour (RFC 6665, BRIEF §10) against a scripted notifier: a second SIP stack on
 * 127.0.0.1 that answers as a PBX would, over real UDP. The watcher's time is a fake clock, so refresh,
 * backoff, Retry-After, pacing and keepalive are checked without waiting for them.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DIALECTS, type DialectName } from '../../src/blf/dialects.ts';
import { DialogIntake } from '../../src/blf/dialog-intake.ts';
import { PartnerSubscriptions } from '../../src/sip/partner-subscriptions.ts';
import type { PartnerUpdate } from '../../src/sip/partner-update.ts';
import { tagOf, type SipMessage } from '../../src/sip/message.ts';
import { PbxKeepalive } from '../../src/sip/pbx-keepalive.ts';
import { SipStack, type IncomingRequest } from '../../src/sip/stack.ts';
import { UserAgent } from '../../src/sip/user-agent.ts';
import { MemoryLogger } from '../../src/util/log.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { closeScriptedPbxs, ScriptedPbx } from '../support/scripted-pbx.ts';

const PARTNER = 'sip:207@127.0.0.1';
const EARLY = `<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="VERSION" state="STATE" entity="${PARTNER}">
  <dialog id="d1" call-id="c1" local-tag="l1" remote-tag="r1" direction="recipient"><state>early</state></dialog>
</dialog-info>`;

const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((thing) => thing.close()));
  await closeScriptedPbxs();
});

interface Setup {
  pbx: ScriptedPbx;
  clock: FakeClock;
  watcher: SipStack;
  subscriptions: PartnerSubscriptions;
  updates: PartnerUpdate[];
  log: MemoryLogger;
  current(partner?: string): PartnerUpdate | undefined;
}

async function setup(
  options: {
    partners?: string[];
    rate?: number;
    keepalive?: number;
    dialect?: DialectName;
    pbx?: ScriptedPbx;
  } = {},
): Promise<Setup> {
  const pbx = options.pbx ?? (await ScriptedPbx.open());
  const clock = new FakeClock();
  const watcher = await SipStack.open({ address: '127.0.0.1', port: 0, clock });
  closing.push(watcher);
  const ua = new UserAgent(
    watcher,
    { user: '900', password: '', domain: '127.0.0.1' },
    {
      protocol: 'UDP',
      address: '127.0.0.1',
      port: pbx.stack.port,
    },
  );
  const updates: PartnerUpdate[] = [];
  const log = new MemoryLogger();
  const subscriptions = new PartnerSubscriptions(
    ua,
    options.partners ?? [PARTNER],
    {
      intake: new DialogIntake(DIALECTS[options.dialect ?? 'generic']),
      clock,
      log,
      expires: 600,
      subscribeRate: options.rate ?? 20,
      pbxAddress: '127.0.0.1',
      random: () => 0.5,
    },
    (update) => updates.push(update),
  );
  const keepalive = new PbxKeepalive(ua, options.keepalive ?? 0, clock, log, {
    gone: () => subscriptions.pbxGone(),
    back: () => subscriptions.pbxBack(),
  });
  keepalive.start();
  closing.push({ close: () => Promise.resolve(keepalive.stop()) });
  watcher.onRequests((request) => {
    if (!subscriptions.handleRequest(request)) request.respond(405);
  });
  closing.push({ close: () => subscriptions.stop() });
  return {
    pbx,
    clock,
    watcher,
    subscriptions,
    updates,
    log,
    current: (partner = PARTNER) => updates.filter((update) => update.partner === partner).at(-1),
  };
}

function waitFor(check: () => void): Promise<void> {
  return vi.waitFor(check, { timeout: 5000, interval: 10 });
}

/** Waits while letting the watcher's paced queue run (one SUBSCRIBE per 50 ms at 20/s). */
function waitPaced(s: Setup, check: () => void): Promise<void> {
  return vi.waitFor(
    () => {
      s.clock.advance(50);
      check();
    },
    { timeout: 5000, interval: 10 },
  );
}

/** Starts, accepts the first SUBSCRIBE and notifies `body`: the partner is active. */
async function active(s: Setup, body = '', expires = 600): Promise<IncomingRequest> {
  s.pbx.answer = (request) =>
    request.message.method === 'SUBSCRIBE' ? s.pbx.accept(request, expires) : request.respond(200);
  s.subscriptions.start();
  await waitFor(() => expect(s.pbx.subscribes()).toHaveLength(1));
  const subscribe = s.pbx.subscribes()[0]!;
  expect(
    (await s.pbx.notify(subscribe.message, s.watcher.port, body, `active;expires=${expires}`)).status,
  ).toBe(200);
  await waitFor(() => expect(s.current()?.status).toBe('active'));
  return subscribe;
}

describe('dialog subscriptions', () => {
  it('subscribes to the dialog package and reads each NOTIFY: empty is idle, early is ringing', async () => {
    const s = await setup();
    const subscribe = await active(s);
    expect(subscribe.message.headers['event']).toBe('dialog');
    expect(subscribe.message.headers['accept']).toBe('application/dialog-info+xml');
    expect(subscribe.message.headers['expires']).toBe('600');
    expect(s.updates.map((update) => update.situation)).toEqual(['unknown', 'idle']);
    await s.pbx.notify(
      subscribe.message,
      s.watcher.port,
      EARLY.replace('VERSION', '1').replace('STATE', 'full'),
    );
    await waitFor(() => expect(s.current()?.situation).toBe('ringing'));
    expect(s.current()?.view.pickup).toMatchObject({ ok: true, target: { method: 'replaces' } });
  });

  it('refreshes in the dialog before the subscription expires', async () => {
    const s = await setup();
    const first = await active(s, '', 120);
    s.clock.advance(59_000);
    expect(s.pbx.subscribes()).toHaveLength(1);
    s.clock.advance(1000);
    await waitFor(() => expect(s.pbx.subscribes()).toHaveLength(2));
    const refresh = s.pbx.subscribes()[1]!.message;
    expect(refresh.headers['call-id']).toBe(first.message.headers['call-id']);
    expect(tagOf(refresh.headers.to)).not.toBeNull();
    expect(refresh.headers.cseq?.seq).toBe(2);
  });

  it('subscribes anew, at once, when a refresh is answered 481 (the PBX forgot it)', async () => {
    const s = await setup();
    const first = await active(s, '', 120);
    s.pbx.answer = (request) =>
      tagOf(request.message.headers.to) != null ? request.respond(481) : s.pbx.accept(request);
    s.clock.advance(60_000);
    await waitPaced(s, () => expect(s.pbx.subscribes()).toHaveLength(3));
    const fresh = s.pbx.subscribes()[2]!.message;
    expect(fresh.headers['call-id']).not.toBe(first.message.headers['call-id']);
    expect(tagOf(fresh.headers.to)).toBeNull();
    expect(s.current()?.situation).toBe('unknown');
  });

  it.each([404, 410, 489, 604])(
    'subscribes anew when a refresh is answered %i (RFC 6665 §4.1.2.2), never showing it refused',
    async (status) => {
      const s = await setup();
      const first = await active(s, '', 120);
      s.pbx.answer = (request) =>
        tagOf(request.message.headers.to) != null ? request.respond(status) : s.pbx.accept(request);
      s.clock.advance(60_000);
      await waitPaced(s, () => expect(s.pbx.subscribes()).toHaveLength(3));
      const fresh = s.pbx.subscribes()[2]!.message;
      expect(fresh.headers['call-id']).not.toBe(first.message.headers['call-id']);
      expect(tagOf(fresh.headers.from)).not.toBe(tagOf(first.message.headers.from));
      expect(tagOf(fresh.headers.to)).toBeNull();
      expect(s.updates.map((update) => update.status)).not.toContain('refused');
    },
  );

  it('shows unknown when the subscription expires without a refresh, never a stale idle', async () => {
    const s = await setup();
    await active(s, '', 120);
    s.pbx.answer = () => undefined; // the PBX stops answering
    s.clock.advance(60_000); // refresh sent, no answer
    await waitFor(() => expect(s.pbx.subscribes()).toHaveLength(2));
    s.clock.advance(8000); // our request timeout
    await waitFor(() => expect(s.current()?.situation).toBe('unknown'));
    expect(s.current()?.reason).toBe('SUBSCRIBE answered 408 Request Timeout');
  });

  it('shows a refused key for 489 Bad Event, and asks again after 10 minutes', async () => {
    const s = await setup();
    s.pbx.answer = (request) => request.respond(489);
    s.subscriptions.start();
    await waitFor(() => expect(s.current()?.situation).toBe('refused'));
    expect(s.current()?.reason).toBe('the PBX refused the subscription: 489 Bad Event');
    s.clock.advance(599_000);
    expect(s.pbx.subscribes()).toHaveLength(1);
    s.clock.advance(1000);
    await waitFor(() => expect(s.pbx.subscribes()).toHaveLength(2));
  });

  it('waits as long as Retry-After says after a 503', async () => {
    const s = await setup();
    s.pbx.answer = (request) =>
      request.respond(503, 'Service Unavailable', { headers: { 'retry-after': '30' } });
    s.subscriptions.start();
    await waitFor(() => expect(s.current()?.status).toBe('lost'));
    s.clock.advance(29_000);
    expect(s.pbx.subscribes()).toHaveLength(1);
    s.clock.advance(1000);
    await waitFor(() => expect(s.pbx.subscribes()).toHaveLength(2));
  });

  it('backs off with growing delays when the PBX keeps failing', async () => {
    const s = await setup();
    s.pbx.answer = (request) => request.respond(500);
    s.subscriptions.start();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      await waitFor(() => expect(s.pbx.subscribes()).toHaveLength(attempt));
      await waitFor(() => expect(s.clock.pending).toBeGreaterThan(0));
      const before = s.clock.now();
      while (s.pbx.subscribes().length === attempt) {
        s.clock.advance(100);
        await new Promise((resolve) => setImmediate(resolve));
      }
      delays.push(s.clock.now() - before);
    }
    // 2 s doubling, jitter fixed at ×1.0 by the test's random(): 2, 4, 8 s (within the 100 ms steps).
    expect(delays.slice(0, 3).map((ms) => Math.round(ms / 1000))).toEqual([2, 4, 8]);
  });

  it('follows the reason of a terminated subscription (RFC 6665 §4.1.3)', async () => {
    const s = await setup();
    const subscribe = await active(s);
    await s.pbx.notify(subscribe.message, s.watcher.port, '', 'terminated;reason=timeout');
    await waitPaced(s, () => expect(s.pbx.subscribes()).toHaveLength(2)); // at once, a new subscription

    s.pbx.answer = (request) => request.respond(200);
    const second = s.pbx.subscribes()[1]!;
    await s.pbx.notify(second.message, s.watcher.port, '', 'terminated;reason=probation;retry-after=20');
    await waitFor(() => expect(s.current()?.status).toBe('lost'));
    s.clock.advance(19_000);
    expect(s.pbx.subscribes()).toHaveLength(2);
    s.clock.advance(1000);
    await waitFor(() => expect(s.pbx.subscribes()).toHaveLength(3));

    const third = s.pbx.subscribes()[2]!;
    await s.pbx.notify(third.message, s.watcher.port, '', 'terminated;reason=rejected');
    await waitFor(() => expect(s.current()?.situation).toBe('refused'));
  });

  it('asks for full state again when a partial NOTIFY skips versions', async () => {
    const s = await setup();
    const subscribe = await active(s, EARLY.replace('VERSION', '1').replace('STATE', 'full'));
    await s.pbx.notify(
      subscribe.message,
      s.watcher.port,
      EARLY.replace('VERSION', '5').replace('STATE', 'partial'),
    );
    await waitPaced(s, () => expect(s.pbx.subscribes()).toHaveLength(2));
    expect(s.pbx.subscribes()[1]!.message.headers['call-id']).toBe(subscribe.message.headers['call-id']);
    expect(s.current()?.situation).toBe('ringing');
  });

  it('answers 489 to a NOTIFY of another event package in the subscription, changing nothing', async () => {
    const s = await setup();
    const subscribe = await active(s);
    const response = await s.pbx.notify(subscribe.message, s.watcher.port, EARLY, 'active', 'presence');
    expect(response.status).toBe(489);
    expect(s.current()?.situation).toBe('idle');
  });

  it('answers 481 to a NOTIFY outside any subscription, changing nothing', async () => {
    const s = await setup();
    const subscribe = await active(s);
    const stranger = {
      ...subscribe.message,
      headers: { ...subscribe.message.headers, 'call-id': 'unknown-call' },
    };
    const response = await s.pbx.notify(
      stranger,
      s.watcher.port,
      EARLY.replace('VERSION', '1').replace('STATE', 'full'),
    );
    expect(response.status).toBe(481);
    expect(s.current()?.situation).toBe('idle');
  });

  it('answers 481 to a NOTIFY with a live subscription’s Call-ID and tags from another address', async () => {
    const s = await setup();
    const subscribe = await active(s);
    const stranger = await ScriptedPbx.open('127.0.0.2');
    const response = await stranger.notify(
      { ...subscribe.message, headers: { ...subscribe.message.headers, to: subscribe.message.headers.to } },
      s.watcher.port,
      EARLY.replace('VERSION', '1').replace('STATE', 'full'),
    );
    expect(response.status).toBe(481);
    expect(s.current()?.situation).toBe('idle');
  });

  it('paces SUBSCRIBEs at the configured rate at start', async () => {
    const partners = Array.from({ length: 10 }, (_, i) => `sip:${300 + i}@127.0.0.1`);
    const s = await setup({ partners, rate: 5 });
    s.pbx.answer = (request) => s.pbx.accept(request);
    s.subscriptions.start();
    await waitFor(() => expect(s.pbx.subscribes()).toHaveLength(1));
    s.clock.advance(199);
    expect(s.pbx.subscribes()).toHaveLength(1);
    s.clock.advance(1);
    await waitFor(() => expect(s.pbx.subscribes()).toHaveLength(2));
    s.clock.advance(1600);
    await waitFor(() => expect(s.pbx.subscribes()).toHaveLength(10));
  });

  it('watches other partners while running: one that stays keeps its dialog, one no longer watched is unsubscribed, even one still waiting in line', async () => {
    const partners = ['sip:301@127.0.0.1', 'sip:302@127.0.0.1', 'sip:303@127.0.0.1'];
    const s = await setup({ partners, rate: 5 });
    s.pbx.answer = (request) => s.pbx.accept(request);
    s.subscriptions.start();
    await waitFor(() => expect(s.pbx.subscribes()).toHaveLength(1)); // 301; 302 and 303 wait in line
    const first = s.pbx.subscribes()[0]!.message;
    expect((await s.pbx.notify(first, s.watcher.port, '', 'active;expires=600')).status).toBe(200);
    await waitFor(() => expect(s.current('sip:301@127.0.0.1')?.situation).toBe('idle'));
    // 301 stays, 302 (not yet subscribed) and 303 go, 304 comes.
    const ended = s.subscriptions.watchOnly(['sip:301@127.0.0.1', 'sip:304@127.0.0.1']);
    s.clock.advance(2000);
    await ended;
    await waitFor(() =>
      expect(s.pbx.subscribes().map((each) => each.message.headers.to?.uri)).toContain('sip:304@127.0.0.1'),
    );
    s.clock.advance(2000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sent = s.pbx.subscribes().map((each) => each.message.headers.to?.uri);
    expect(sent).toEqual(['sip:301@127.0.0.1', 'sip:304@127.0.0.1']);
    expect(s.subscriptions.update('sip:302@127.0.0.1')).toBeNull();
    expect(s.current('sip:304@127.0.0.1')?.situation).toBe('unknown');
    // A partner no longer watched, when subscribed, is unsubscribed (Expires: 0 in its dialog).
    const gone = s.subscriptions.watchOnly(['sip:304@127.0.0.1']);
    await gone;
    const last = s.pbx.subscribes().at(-1)!.message;
    expect(last.headers.to?.uri).toBe('sip:301@127.0.0.1');
    expect(last.headers['expires']).toBe('0');
    expect(last.headers['call-id']).toBe(first.headers['call-id']);
    // Its dialog is forgotten: a NOTIFY in it now is answered 481.
    expect((await s.pbx.notify(first, s.watcher.port, '', 'terminated')).status).toBe(481);
  });

  it('takes unsolicited NOTIFYs from the PBX address only, for dialects that send them (innovaphone)', async () => {
    const s = await setup({ dialect: 'innovaphone' });
    s.pbx.answer = (request) =>
      request.message.method === 'SUBSCRIBE' ? request.respond(489) : request.respond(200);
    s.subscriptions.start();
    await waitFor(() => expect(s.current()?.situation).toBe('refused'));
    // As the seed's innovaphone NOTIFY: From the partner, to a phone that never subscribed (the
    // helper sends To = this From, From = this To).
    const unsolicited: SipMessage = {
      method: 'SUBSCRIBE',
      uri: 'sip:207@127.0.0.1',
      headers: {
        from: { uri: 'sip:snom@127.0.0.1', params: { tag: 'bl4qd8azu6' } },
        to: { uri: 'sip:207@127.0.0.1;user=phone', params: { tag: '2870350033' } },
        'call-id': '0ce2cb4794c2-9b374j1ddupd@snomSoft-000413FFFFFF',
        cseq: { seq: 18, method: 'NOTIFY' },
      },
    };
    // innovaphone writes the direction from the PBX's side: a call the partner receives is `initiator`
    // (the seed), which reads as ringing.
    const body = EARLY.replace('VERSION', '9')
      .replace('STATE', 'full')
      .replace('direction="recipient"', 'direction="initiator"');
    const stranger = await ScriptedPbx.open('127.0.0.2');
    const refused = await stranger.notify(unsolicited, s.watcher.port, body);
    expect(refused.status).toBe(481);
    expect(s.current()?.situation).toBe('refused');
    const accepted = await s.pbx.notify(unsolicited, s.watcher.port, body);
    expect(accepted.status).toBe(200);
    await waitFor(() => expect(s.current()?.situation).toBe('ringing'));
  });

  it('marks every partner unknown when the PBX stops answering, and recovers when it is back', async () => {
    const first = await ScriptedPbx.open();
    const port = first.stack.port;
    const s = await setup({ keepalive: 5, pbx: first });
    await active(s);
    await first.stack.close(); // the PBX is gone
    s.clock.advance(5000); // keepalive OPTIONS
    await new Promise((resolve) => setImmediate(resolve));
    s.clock.advance(2000); // unanswered: checked again 1 s later
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.current()?.situation).toBe('idle');
    s.clock.advance(1000);
    await new Promise((resolve) => setImmediate(resolve));
    s.clock.advance(2000); // unanswered again: the PBX is gone
    await new Promise((resolve) => setImmediate(resolve));
    await waitFor(() => expect(s.current()?.situation).toBe('unknown'));
    expect(s.current()?.reason).toBe('the PBX does not answer');

    const restarted = await ScriptedPbx.open('127.0.0.1', port); // a new PBX process: no subscriptions
    restarted.answer = (request) => {
      if (request.message.method === 'SUBSCRIBE' && tagOf(request.message.headers.to) != null)
        request.respond(481);
      else if (request.message.method === 'SUBSCRIBE') restarted.accept(request);
      else request.respond(200);
    };
    s.clock.advance(5000);
    await waitPaced(s, () => expect(restarted.subscribes().length).toBeGreaterThanOrEqual(2));
    const fresh = restarted.subscribes().at(-1)!;
    expect(tagOf(fresh.message.headers.to)).toBeNull();
    await restarted.notify(fresh.message, s.watcher.port, '');
    await waitFor(() => expect(s.current()?.situation).toBe('idle'));
  });
});
