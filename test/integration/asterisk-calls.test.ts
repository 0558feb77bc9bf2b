/**
 * Key presses through Asterisk (res_pjsip, FreePBX's `**` pickup line), with baresip as the desk phone
 * (201) and sipp phones as the partners and callers: lampfield calls the desk phone (Asterisk challenges
 * the INVITE), hands the call on by REFER (a blind transfer into lampfield's context,
 * res_pjsip_refer.c), and a press on a ringing partner picks the call up by `**207` (`Pickup()`).
 * Skipped, with one line, without an Asterisk build (test/support/asterisk.ts).
 */
import { expect, it } from 'vitest';
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import { DEFAULT_LAMPS, lampFor } from '../../src/blf/lamp-policy.ts';
import type { FakePanel } from '../../src/panel/fake-panel.ts';
import type { MemoryLogger } from '../../src/util/log.ts';
import { Asterisk, describeOnAsterisk } from '../support/asterisk.ts';
import { Baresip } from '../support/baresip.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { cleanupAfterEach } from '../support/cleanup.ts';
import { call, expectCall, hangUpAll, registerPhone } from '../support/sipp.ts';
import { PARTNER_207, until, watch207 } from '../support/watcher-rig.ts';

const cleanup = cleanupAfterEach();

const said = (log: MemoryLogger) => log.lines.map((line) => `${line.level} ${line.message}`).join('\n');

/** lampfield's config on Asterisk: 900 with its password, the asterisk dialect, the SIP trace kept. */
const ON_ASTERISK = {
  pbx: { dialect: 'asterisk' },
  account: { user: '900', password: 'watch900' },
  log: { level: 'debug', sipTrace: true },
};

/** The requests lampfield sent, as its SIP trace shows them: method, CSeq and whether it had credentials. */
function sent(log: MemoryLogger, method: string): { cseq: number; credentials: boolean; text: string }[] {
  return log.lines
    .filter((line) => line.message === 'SIP out')
    .map((line) => String(line.fields?.['text']))
    .filter((text) => text.startsWith(`${method} `))
    .map((text) => ({
      cseq: Number(/^CSeq: *(\d+)/m.exec(text)?.[1]),
      credentials: /^Authorization: /m.test(text),
      text,
    }));
}

/**
 * Asterisk (`pickupLine`: FreePBX's `**` line, default on), the desk phone (baresip, 201, answering by
 * itself unless `manual`), 207 registered, lampfield watching 207 with `config` on `clock`.
 */
async function setup(
  options: {
    pickupLine?: boolean;
    manual?: boolean;
    config?: Record<string, unknown>;
    clock?: FakeClock;
  } = {},
) {
  const pbx = await Asterisk.start({ pickupLine: options.pickupLine ?? true });
  cleanup(() => pbx.close());
  const desk = await Baresip.start(pbx, '201', options.manual === true ? 'manual' : 'auto');
  cleanup(() => desk.stop());
  const partner = await registerPhone(pbx, '207');
  cleanup(() => hangUpAll([partner]));
  const rig = await watch207(pbx.port, { ...ON_ASTERISK, ...options.config }, options.clock);
  cleanup(() => rig.watcher.stop());
  await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle');
  return { pbx, desk, partner, ...rig };
}

describeOnAsterisk()('Asterisk: key presses', { timeout: 90_000 }, () => {
  it('a desk phone that does not answer is cancelled at phone.answerTimeoutSeconds, one CSeq step per challenge', async () => {
    const clock = new FakeClock();
    const config = { phone: { uri: '201', answerTimeoutSeconds: 5 } };
    const { desk, ...rig } = await setup({ manual: true, config, clock });

    const before = desk.output().length;
    const press = rig.watcher.press(1, 'short');
    await desk.waitFor(/Incoming call from/, 'the desk phone ringing', before);
    // RFC 3261 §22.2: after the 401, the INVITE is sent once more, with credentials and the next CSeq.
    const invites = sent(rig.log, 'INVITE');
    expect(invites.map(({ cseq, credentials }) => ({ cseq, credentials }))).toEqual([
      { cseq: 1, credentials: false },
      { cseq: 2, credentials: true },
    ]);
    // Not a moment before the answer time (counted from the first INVITE: the clock has not moved)…
    // (A timer's CANCEL is on the wire a turn of the event loop after advance() fires it.)
    clock.advance(4999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent(rig.log, 'CANCEL')).toEqual([]);
    // …and at it: the INVITE on the wire (the one with credentials) is cancelled.
    clock.advance(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent(rig.log, 'CANCEL')).toHaveLength(1);
    expect(await press).toEqual({
      kind: 'failed',
      action: 'dial',
      reason: 'the desk phone did not answer within 5 s',
    });
    const cancels = sent(rig.log, 'CANCEL');
    expect(cancels.map(({ cseq }) => cseq)).toEqual([2]);
    const branch = (text: string) => /^Via: .*branch=([^;\s]+)/m.exec(text)?.[1];
    expect(branch(cancels[0]!.text)).toBe(branch(invites[1]!.text));
    await desk.waitFor(
      /^CANCEL sip:/m,
      'the CANCEL, through Asterisk, that stops the desk phone ringing',
      before,
    );
  });

  it('a press on an idle partner: the desk phone calls 207, who answers', async () => {
    const { pbx, desk, partner, ...rig } = await setup();
    const answered = expectCall(pbx, partner, 100).exited;
    expect(await rig.watcher.press(1, 'short'), said(rig.log)).toMatchObject({
      kind: 'call',
      action: 'dial',
    });
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'busy', '207 busy');
    await desk.hangUp();
    expect(await answered).toBe(0);
    expect(rig.log.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('a press on a ringing partner: the desk phone picks the call up by **207, and lampfield says so (no red flash)', async () => {
    const { pbx, partner, ...rig } = await setup({ config: { phone: { uri: '201', watch: true } } });
    await until(() => rig.watcher.partner(DESK)?.situation === 'idle', 'the desk phone idle');

    const ringing = expectCall(pbx, partner, 30_000).exited;
    const caller = call(pbx, '211', '207', { talkMs: 1500 });
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'ringing', '207 ringing');
    const lamps = lampsOf(rig.panel, 1);

    expect(await rig.watcher.press(1, 'short'), said(rig.log)).toMatchObject({
      kind: 'call',
      action: 'pickup',
    });
    // Asterisk ran Pickup(): 207 stops ringing (its INVITE cancelled), 211 is answered by the desk phone.
    expect(await ringing).toBe(0);
    expect(rig.watcher.partner(DESK)?.situation).toBe('busy');
    expect(await caller).toBe(0); // 211 talked, and hung up
    expect(rig.log.lines.filter((line) => line.level === 'warn')).toEqual([]);
    expect(said(rig.log)).toMatch(/key 1: pickup sip:207@127\.0\.0\.1 went through, as the calls show/);
    expect(lamps()).not.toContainEqual(lampFor('error', DEFAULT_LAMPS, 'rgb'));
  });

  it('plain Asterisk without the pickup line: the press fails with one line, the key flashes red, the call rings on', async () => {
    const { pbx, partner, ...rig } = await setup({ pickupLine: false });
    void expectCall(pbx, partner, 30_000);
    const caller = call(pbx, '211', '207', { cancelAfterMs: 4000 });
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'ringing', '207 ringing');
    const outcome = await rig.watcher.press(1, 'short');
    expect(outcome).toMatchObject({ kind: 'failed', action: 'pickup' });
    const warnings = rig.log.lines.filter((line) => line.level === 'warn').map((line) => line.message);
    expect(warnings).toEqual([
      `key 1: pickup sip:207@127.0.0.1 failed: ${'reason' in outcome ? outcome.reason : ''}`,
    ]);
    expect(warnings[0]).toMatch(/: the desk phone's call failed: SIP\/2\.0 404 Not Found$/);
    expect(rig.panel.lamps.get(1)).toEqual(lampFor('error', DEFAULT_LAMPS, 'rgb'));
    expect(rig.watcher.partner(PARTNER_207)?.situation).toBe('ringing');
    await caller;
  });

  it("the desk phone's call is handed on without a hold: its key never shows held", async () => {
    const { pbx, desk, partner, ...rig } = await setup({ config: { phone: { uri: '201', watch: true } } });
    await until(() => rig.watcher.partner(DESK)?.situation === 'idle', 'the desk phone idle');

    const answered = expectCall(pbx, partner, 100).exited;
    expect(await rig.watcher.press(1, 'short')).toMatchObject({ kind: 'call', action: 'dial' });
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'busy', '207 busy');
    await desk.hangUp();
    expect(await answered).toBe(0);
    await until(() => rig.watcher.partner(DESK)?.situation === 'idle', 'the desk phone idle again');
    // Every state the desk phone's own dialog-info went through (an inactive answer made it `held`).
    const states = statesOf(rig.log, DESK);
    expect(states).toContain('busy');
    expect(states).not.toContain('held');
  });
});

const DESK = 'sip:201@127.0.0.1';

/** Every lamp a key showed, as the panel was told them. */
function lampsOf(panel: FakePanel, key: number): () => Lamp[] {
  const shown: Lamp[] = [];
  const setLamp = panel.setLamp.bind(panel);
  panel.setLamp = (at, lamp, info) => {
    if (at === key) shown.push(lamp);
    setLamp(at, lamp, info);
  };
  return () => shown;
}

/** Every state lampfield read for `partner`, in order (PartnerLamps logs each update at debug). */
function statesOf(log: MemoryLogger, partner: string): string[] {
  return log.lines
    .filter((line) => line.message === 'partner' && line.fields?.['partner'] === partner)
    .map((line) => String(line.fields?.['state']));
}
