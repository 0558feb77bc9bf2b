/**
 * `lampfield run` against a real Kamailio with sipp phones (BRIEF §7): real calls make the partner's key
 * ring, go busy and go idle, through digest authentication too.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Kamailio, PASSWORDS } from '../support/kamailio.ts';
import { LampfieldProcess } from '../support/lampfield-process.ts';
import { freePort } from '../support/ports.ts';
import { killAll } from '../support/processes.ts';
import { call, expectCall, hangUpAll, registerPhone, type Phone } from '../support/sipp.ts';

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
});
