/**
 * The PBX simulator over real UDP on 127.0.0.1, watched by lampfield's own subscriptions: a call's life
 * lights the partner as it would with a real PBX of each family.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DIALECTS, DIALECT_NAMES, type DialectName } from '../../src/blf/dialects.ts';
import { DialogIntake } from '../../src/blf/dialog-intake.ts';
import { CallControl, DEFAULT_AUTO_ANSWER } from '../../src/sip/call-control.ts';
import { PartnerSubscriptions } from '../../src/sip/partner-subscriptions.ts';
import type { PartnerUpdate } from '../../src/sip/partner-update.ts';
import { Registration } from '../../src/sip/registration.ts';
import { SipStack } from '../../src/sip/stack.ts';
import { UserAgent } from '../../src/sip/user-agent.ts';
import { PbxSimulator } from '../../src/sim/pbx-simulator.ts';
import { systemClock } from '../../src/util/clock.ts';
import { MemoryLogger } from '../../src/util/log.ts';
import { FakeClock } from '../support/fake-clock.ts';

const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

async function watch(dialect: DialectName) {
  const pbxStack = await SipStack.open({ address: '127.0.0.1', port: 0, clock: systemClock });
  closing.push(() => pbxStack.close());
  const pbx = new PbxSimulator(pbxStack, {
    dialect,
    host: '127.0.0.1',
    deskPhone: '201',
    clock: systemClock,
  });
  const stack = await SipStack.open({ address: '127.0.0.1', port: 0, clock: systemClock });
  closing.push(() => stack.close());
  const ua = new UserAgent(
    stack,
    { user: '900', password: '', domain: '127.0.0.1' },
    {
      protocol: 'UDP',
      address: '127.0.0.1',
      port: pbxStack.port,
    },
  );
  const updates: PartnerUpdate[] = [];
  const log = new MemoryLogger();
  const subscriptions = new PartnerSubscriptions(
    ua,
    ['sip:207@127.0.0.1'],
    {
      intake: new DialogIntake(DIALECTS[dialect]),
      clock: systemClock,
      log,
      expires: 600,
      subscribeRate: 20,
      pbxAddress: '127.0.0.1',
    },
    (update) => updates.push(update),
  );
  stack.onRequests((request) => {
    if (!subscriptions.handleRequest(request)) request.respond(405);
  });
  closing.push(() => subscriptions.stop());
  if (dialect === 'innovaphone') await new Registration(ua, 600, systemClock, log).start();
  subscriptions.start();
  const state = () => updates.at(-1)?.situation;
  const until = (wanted: string) =>
    vi.waitFor(() => expect(state()).toBe(wanted), { timeout: 3000, interval: 5 });
  await until('idle');
  const calls = new CallControl(
    ua,
    {
      uri: 'sip:201@127.0.0.1',
      mode: '3pcc',
      replaces: true,
      autoAnswer: DEFAULT_AUTO_ANSWER,
      answerTimeoutMs: 5000,
    },
    DIALECTS[dialect],
    systemClock,
    log,
  );
  stack.onRequests((request) => {
    if (!calls.handleRequest(request) && !subscriptions.handleRequest(request)) request.respond(405);
  });
  return { pbx, until, updates, calls, subscriptions };
}

describe('the virtual desk phone', () => {
  it('takes a ringing call picked up by Replaces: the partner goes idle, the desk phone is in the call', async () => {
    const { pbx, until, calls, subscriptions } = await watch('generic');
    pbx.ring('211', '207');
    await until('ringing');
    const plan = subscriptions.update('sip:207@127.0.0.1')!.view.pickup!;
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.target.method).toBe('replaces');
    expect(await calls.call(plan.target)).toEqual({ ok: true, via: 'refer' });
    await until('idle');
    expect(pbx.deskPhoneCall).toBe('211');
  });

  it('takes a ringing call picked up by the **207 code (asterisk)', async () => {
    const { pbx, until, calls } = await watch('asterisk');
    pbx.ring('211', '207');
    await until('ringing');
    expect(await calls.call({ uri: 'sip:**207@127.0.0.1', replaces: null })).toEqual({
      ok: true,
      via: 'refer',
    });
    await until('idle');
    expect(pbx.deskPhoneCall).toBe('211');
  });

  it('reports a pickup of a call that is gone as 481 (already answered elsewhere)', async () => {
    const { calls } = await watch('generic');
    expect(
      await calls.call({ uri: 'sip:211@127.0.0.1', replaces: 'nothing@sim;to-tag=a;from-tag=b;early-only' }),
    ).toEqual({
      ok: false,
      reason: 'the call was already answered elsewhere (481 to Replaces)',
      stage: 'target',
      status: 481,
    });
  });

  it('calls an idle partner: the partner rings', async () => {
    const { until, calls } = await watch('generic');
    expect(await calls.call({ uri: 'sip:207@127.0.0.1', replaces: null })).toEqual({
      ok: true,
      via: 'refer',
    });
    await until('ringing');
  });
});

describe('PBX simulator', () => {
  it.each(DIALECT_NAMES.map((name) => [name]))(
    '%s: a call rings, is answered, held, resumed and hung up',
    async (dialect) => {
      const { pbx, until } = await watch(dialect);
      const call = pbx.ring('211', '207');
      await until('ringing');
      pbx.answer(call);
      await until('busy');
      if (dialect !== 'innovaphone') {
        pbx.hold(call, '207', true);
        await until('held');
        pbx.hold(call, '207', false);
        await until('busy');
      }
      pbx.hangUp(call);
      await until('idle');
    },
  );

  // Asterisk reports the calling side as in a call from the first ring (README "Asterisk and FreePBX").
  it.each(DIALECT_NAMES.filter((name) => name !== 'asterisk').map((name) => [name]))(
    '%s: a call the partner places shows calling, not ringing (innovaphone writes it recipient)',
    async (dialect) => {
      const { pbx, until } = await watch(dialect);
      const call = pbx.ring('207', '211');
      await until('calling');
      pbx.hangUp(call);
      await until('idle');
    },
  );

  it('answers a refresh of a subscription it does not know with 481, and other events with 489', async () => {
    const pbxStack = await SipStack.open({ address: '127.0.0.1', port: 0, clock: systemClock });
    closing.push(() => pbxStack.close());
    new PbxSimulator(pbxStack, { dialect: 'generic', host: '127.0.0.1', clock: systemClock });
    const client = await SipStack.open({ address: '127.0.0.1', port: 0, clock: systemClock });
    closing.push(() => client.close());
    const target = { protocol: 'UDP' as const, address: '127.0.0.1', port: pbxStack.port };
    const subscribe = (event: string, toTag: string | null) =>
      client.request(
        {
          method: 'SUBSCRIBE',
          uri: 'sip:207@127.0.0.1',
          headers: {
            to: { uri: 'sip:207@127.0.0.1', params: toTag == null ? {} : { tag: toTag } },
            from: { uri: 'sip:900@127.0.0.1', params: { tag: 'w' } },
            'call-id': `c-${event}-${toTag}`,
            cseq: { seq: 2, method: 'SUBSCRIBE' },
            contact: [{ uri: `sip:900@${client.hostPort}`, params: {} }],
            event,
            expires: '600',
          },
        },
        target,
      );
    expect((await subscribe('dialog', 'gone-since-restart')).status).toBe(481);
    expect((await subscribe('presence', null)).status).toBe(489);
  });

  it('challenges REGISTER with a SHA-256 digest and takes only the right password', async () => {
    const pbxStack = await SipStack.open({ address: '127.0.0.1', port: 0, clock: systemClock });
    closing.push(() => pbxStack.close());
    new PbxSimulator(pbxStack, {
      clock: systemClock,
      dialect: 'generic',
      host: '127.0.0.1',
      passwords: { '900': 'right-password' },
    });
    const register = async (password: string) => {
      const stack = await SipStack.open({ address: '127.0.0.1', port: 0, clock: systemClock });
      closing.push(() => stack.close());
      const ua = new UserAgent(
        stack,
        { user: '900', password, domain: '127.0.0.1' },
        {
          protocol: 'UDP',
          address: '127.0.0.1',
          port: pbxStack.port,
        },
      );
      const registration = new Registration(ua, 600, systemClock, new MemoryLogger());
      closing.push(() => registration.stop());
      return registration.start();
    };
    expect(await register('right-password')).toBe(true);
    expect(await register('wrong-password')).toBe(false);
  });
});

describe('subscriptions to the simulator over time', () => {
  it('stay active through three refresh periods, each refresh answered in its dialog, and end cleanly', async () => {
    const clock = new FakeClock();
    const answered: string[] = [];
    const pbxStack = await SipStack.open({
      address: '127.0.0.1',
      port: 0,
      clock,
      trace: (direction, text) => {
        const cseq = /^CSeq: *\d+ (\w+)/im.exec(text)?.[1];
        if (direction === 'out' && cseq === 'SUBSCRIBE') answered.push(text.split('\r\n')[0]!);
      },
    });
    closing.push(() => pbxStack.close());
    new PbxSimulator(pbxStack, { dialect: 'generic', host: '127.0.0.1', clock });
    const stack = await SipStack.open({ address: '127.0.0.1', port: 0, clock });
    closing.push(() => stack.close());
    const ua = new UserAgent(
      stack,
      { user: '900', password: '', domain: '127.0.0.1' },
      { protocol: 'UDP', address: '127.0.0.1', port: pbxStack.port },
    );
    const log = new MemoryLogger();
    const updates: PartnerUpdate[] = [];
    const partners = ['sip:207@127.0.0.1', 'sip:211@127.0.0.1'];
    const subscriptions = new PartnerSubscriptions(
      ua,
      partners,
      {
        intake: new DialogIntake(DIALECTS.generic),
        clock,
        log,
        expires: 60,
        subscribeRate: 20,
        pbxAddress: '127.0.0.1',
      },
      (update) => updates.push(update),
    );
    stack.onRequests((request) => {
      if (!subscriptions.handleRequest(request)) request.respond(405);
    });
    subscriptions.start();
    const settled = async (subscribes: number) => {
      for (let i = 0; i < 40 && answered.length < subscribes; i++) {
        clock.advance(50); // the pacer's turn
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(answered).toHaveLength(subscribes);
    };
    await settled(2);
    await vi.waitFor(() =>
      expect(partners.map((p) => subscriptions.update(p)?.situation)).toEqual(['idle', 'idle']),
    );
    for (let period = 1; period <= 3; period++) {
      clock.advance(30_000); // refresh at half of the 60 s granted
      await settled(2 + 2 * period);
    }
    expect(new Set(answered)).toEqual(new Set(['SIP/2.0 200 OK']));
    expect(partners.map((p) => subscriptions.update(p)?.status)).toEqual(['active', 'active']);
    expect(updates.map((update) => update.status)).not.toContain('refused');
    await subscriptions.stop();
    expect(answered).toHaveLength(10);
    expect(new Set(answered)).toEqual(new Set(['SIP/2.0 200 OK']));
    expect(log.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });
});
