/**
 * `lampfield run` against a real Kamailio with sipp phones (BRIEF §7): real calls make the partner's key
 * ring, go busy and go idle, through digest authentication too.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../support/fake-clock.ts';
import { Kamailio, PASSWORDS } from '../support/kamailio.ts';
import { LampfieldProcess } from '../support/lampfield-process.ts';
import { freePort } from '../support/ports.ts';
import { killAll } from '../support/processes.ts';
import { call, expectCall, hangUpAll, registerPhone, unregisterPhone, type Phone } from '../support/sipp.ts';
import { watch207 } from '../support/watcher-rig.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => killAll());

async function watch(
  pbx: Kamailio,
  partners: string[],
  extra: { password?: string; trace?: boolean; transport?: 'udp' | 'tcp'; register?: boolean } = {},
): Promise<LampfieldProcess> {
  const lampfield = LampfieldProcess.start({
    ...(extra.trace === true ? { log: { level: 'debug', sipTrace: true } } : {}),
    pbx: { host: '127.0.0.1', port: pbx.port, transport: extra.transport ?? 'udp', dialect: 'kamailio' },
    account: { user: '900', password: extra.password ?? '', register: extra.register ?? false },
    local: { address: '127.0.0.1', port: await freePort() },
    board: 'console',
    keys: partners.map((partner, index) => ({ key: index + 1, partner })),
  });
  cleanup.push(() => lampfield.stop());
  for (let key = 1; key <= partners.length; key++) await lampfield.waitForState(key, 'idle');
  return lampfield;
}

async function pbx(options: Parameters<typeof Kamailio.start>[0] = {}): Promise<Kamailio> {
  const kamailio = await Kamailio.start(options);
  cleanup.push(() => kamailio.close());
  return kamailio;
}

async function phone(kamailio: Kamailio, extension: string): Promise<Phone> {
  const registered = await registerPhone(kamailio, extension);
  cleanup.push(() => hangUpAll([registered]));
  return registered;
}

/** 211 calls 207, which rings for 1 s and answers; key 1 watches 207. */
async function answeredCall(kamailio: Kamailio, callee: Phone, lampfield: LampfieldProcess): Promise<void> {
  expectCall(kamailio, callee, 1000);
  await call(kamailio, '211', '207', { talkMs: 1000 });
  await lampfield.waitForState(1, 'idle');
  expect(lampfield.states(1)).toEqual(['unknown', 'idle', 'ringing', 'busy', 'idle']);
}

describe('lampfield run with Kamailio and sipp phones', () => {
  it('an answered call: ringing, busy, idle', async () => {
    const kamailio = await pbx();
    const callee = await phone(kamailio, '207');
    const lampfield = await watch(kamailio, ['207']);
    await answeredCall(kamailio, callee, lampfield);
  });

  it('a missed call: ringing, idle', async () => {
    const kamailio = await pbx();
    const callee = await phone(kamailio, '207');
    const lampfield = await watch(kamailio, ['207']);
    expectCall(kamailio, callee, 5000);
    await call(kamailio, '211', '207', { cancelAfterMs: 1000 });
    await lampfield.waitFor(() => lampfield.states(1).length >= 4, 'the missed call to end');
    expect(lampfield.states(1)).toEqual(['unknown', 'idle', 'ringing', 'idle']);
  });

  it('two partners at once stay independent', async () => {
    const kamailio = await pbx();
    const first = await phone(kamailio, '207');
    const second = await phone(kamailio, '212');
    const lampfield = await watch(kamailio, ['207', '212']);
    expectCall(kamailio, first, 1000);
    expectCall(kamailio, second, 6000);
    await Promise.all([
      call(kamailio, '211', '207', { talkMs: 2000 }),
      call(kamailio, '201', '212', { cancelAfterMs: 1500 }),
    ]);
    await lampfield.waitFor(
      () => lampfield.current(1) === 'idle' && lampfield.current(2) === 'idle',
      'both idle',
    );
    expect(lampfield.states(1)).toEqual(['unknown', 'idle', 'ringing', 'busy', 'idle']);
    expect(lampfield.states(2)).toEqual(['unknown', 'idle', 'ringing', 'idle']);
  });

  it('over TCP: ringing, busy, idle', async () => {
    const kamailio = await pbx();
    const callee = await phone(kamailio, '207');
    const lampfield = await watch(kamailio, ['207'], { transport: 'tcp' });
    await answeredCall(kamailio, callee, lampfield);
  });

  it('with digest authentication on for watcher and phones (and registered), everything still works', async () => {
    const kamailio = await pbx({ auth: 'MD5' });
    const callee = await phone(kamailio, '207');
    const lampfield = await watch(kamailio, ['207'], { password: PASSWORDS['900']!, register: true });
    await lampfield.waitFor(
      () => /"user":"900","expires":600,"msg":"registered"/.test(lampfield.output()),
      'registered',
    );
    await answeredCall(kamailio, callee, lampfield);
  });

  it('answers SHA-256 digest challenges (RFC 8760)', async () => {
    const kamailio = await pbx({ auth: 'SHA-256', authWatcherOnly: true });
    const callee = await phone(kamailio, '207');
    const lampfield = await watch(kamailio, ['207'], { password: PASSWORDS['900']!, trace: true });
    // The challenge really was SHA-256, and our answer's credentials never reach the log.
    // (Logs come on standard error, lamp lines on standard output: wait for the log to catch up.)
    await lampfield.waitFor(
      () => /Proxy-Authenticate: Digest[^"]*"[^"]*"[^\n]*algorithm=SHA-256/.test(lampfield.output()),
      'the SHA-256 challenge in the SIP trace',
    );
    await lampfield.waitFor(
      () => lampfield.output().includes('Proxy-Authorization: [redacted]'),
      'the redacted answer',
    );
    expect(lampfield.output()).not.toContain(PASSWORDS['900']!);
    await answeredCall(kamailio, callee, lampfield);
  });

  it('with pbx.registrations: offline while 207 has no phone registered, idle once it has, a call still rings', async () => {
    const kamailio = await pbx();
    const lampfield = LampfieldProcess.start({
      pbx: { host: '127.0.0.1', port: kamailio.port, dialect: 'kamailio', registrations: true },
      account: { user: '900' },
      local: { address: '127.0.0.1', port: await freePort() },
      board: 'console',
      keys: [{ key: 1, partner: '207' }],
    });
    cleanup.push(() => lampfield.stop());
    // Kamailio's first reg NOTIFY for 207, never registered, has no body: no contact, offline.
    await lampfield.waitForState(1, 'offline');
    const callee = await phone(kamailio, '207');
    await lampfield.waitForState(1, 'idle');
    await unregisterPhone(kamailio, callee);
    await lampfield.waitForState(1, 'offline');
    await registerPhone(kamailio, '207', callee.port);
    await lampfield.waitForState(1, 'idle');
    expectCall(kamailio, callee, 1000);
    await call(kamailio, '211', '207', { talkMs: 1000 });
    await lampfield.waitForState(1, 'idle');
    expect(lampfield.states(1)).toEqual([
      'unknown',
      'offline',
      'idle',
      'offline',
      'idle',
      'ringing',
      'busy',
      'idle',
    ]);
  });

  it('refuses to watch with a wrong password: the key shows refused, and the log says why', async () => {
    const kamailio = await pbx({ auth: 'MD5' });
    const lampfield = LampfieldProcess.start({
      pbx: { host: '127.0.0.1', port: kamailio.port, dialect: 'kamailio' },
      account: { user: '900', password: 'wrong' },
      local: { address: '127.0.0.1', port: await freePort() },
      keys: [{ key: 1, partner: '207' }],
    });
    cleanup.push(() => lampfield.stop());
    await lampfield.waitForState(1, 'refused');
    await lampfield.waitFor(() => /subscription refused/.test(lampfield.output()), 'the log line');
    expect(lampfield.output()).toMatch(
      /the PBX refused the subscription: 407 [^"]*check account.user and account.password/,
    );
  });

  it('keeps its subscription through three refresh periods of a short expiry (60 s), in its dialog', async () => {
    const kamailio = await pbx();
    const callee = await phone(kamailio, '207');
    // lampfield's time is a fake clock: its refreshes come when the test says, Kamailio's time is real.
    const clock = new FakeClock();
    const { watcher, log } = await watch207(
      kamailio.port,
      {
        pbx: { expires: 60, keepaliveSeconds: 0 },
        phone: undefined,
        log: { level: 'debug', sipTrace: true },
      },
      clock,
    );
    cleanup.push(() => watcher.stop());
    const answers = () =>
      log.lines
        .filter((line) => line.message === 'SIP in')
        .map((line) => String(line.fields?.['text']))
        .filter((text) => /^CSeq: *\d+ SUBSCRIBE/im.test(text))
        .map((text) => text.split('\r\n')[0]!);
    await vi.waitFor(() => expect(watcher.partner('sip:207@127.0.0.1')?.situation).toBe('idle'));
    for (let period = 1; period <= 3; period++) {
      const before = answers().length;
      clock.advance(30_000); // refresh at half of the 60 s granted
      await vi.waitFor(() => expect(answers().length).toBeGreaterThan(before), { timeout: 5000 });
    }
    expect(new Set(answers())).toEqual(new Set(['SIP/2.0 200 OK']));
    expect(watcher.partner('sip:207@127.0.0.1')).toMatchObject({ status: 'active', situation: 'idle' });
    // Still the first subscription: every SUBSCRIBE after the first in its dialog (a To tag).
    const subscribes = log.lines
      .filter((line) => line.message === 'SIP out')
      .map((line) => String(line.fields?.['text']))
      .filter((text) => /^SUBSCRIBE /.test(text));
    expect(subscribes.length).toBeGreaterThanOrEqual(4);
    expect(subscribes.slice(1).every((text) => /^To: .*;tag=/im.test(text))).toBe(true);
    // And it still shows a call.
    expectCall(kamailio, callee, 1000);
    const over = call(kamailio, '211', '207', { talkMs: 500 });
    await vi.waitFor(() => expect(watcher.partner('sip:207@127.0.0.1')?.situation).toBe('ringing'), {
      timeout: 5000,
    });
    await over;
  });
});
