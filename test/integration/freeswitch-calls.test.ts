/**
 * Key presses through FreeSWITCH (mod_sofia with enable-3pcc proxy, the dialplan's `intercept` for
 * `**<ext>`), with baresip as the desk phone (201, answering by itself unless `manual`) and sipp phones: a
 * press on an idle partner calls it; a press on a ringing partner picks its call up by the intercept
 * target FreeSWITCH writes in the ringing dialog (`sip:**207`), the caller then talking to the desk
 * phone; a desk phone that does not answer is cancelled. FreeSWITCH carries the desk phone's REFER out
 * itself and ends lampfield's call when it did (src/blf/dialects.ts `referringCallEndedBy`). Skipped,
 * with one line, without a FreeSWITCH build (test/support/freeswitch.ts).
 */
import { expect, it } from 'vitest';
import { DEFAULT_LAMPS, lampFor } from '../../src/blf/lamp-policy.ts';
import type { MemoryLogger } from '../../src/util/log.ts';
import { Baresip } from '../support/baresip.ts';
import { cleanupAfterEach } from '../support/cleanup.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { describeOnFreeswitch, Freeswitch } from '../support/freeswitch.ts';
import { call, callExpected, hangUpAll, registerPhone } from '../support/sipp.ts';
import { PARTNER_207, until, watch207 } from '../support/watcher-rig.ts';

const cleanup = cleanupAfterEach();
const DESK = 'sip:201@127.0.0.1';

/** What lampfield sent of `method`, from its SIP trace. */
const sent = (log: MemoryLogger, method: string) =>
  log.lines
    .filter((line) => line.message === 'SIP out')
    .map((line) => String(line.fields?.['text']))
    .filter((text) => text.startsWith(`${method} `));

/**
 * FreeSWITCH, the desk phone (baresip, 201), 207 registered, lampfield watching 207 and the desk phone
 * (`phone.watch`) with `phone` on `clock`.
 */
async function setup(options: { manual?: boolean; phone?: Record<string, unknown>; clock?: FakeClock } = {}) {
  const pbx = await Freeswitch.start();
  cleanup(() => pbx.close());
  const desk = await Baresip.start(pbx, '201', options.manual === true ? 'manual' : 'auto');
  cleanup(() => desk.stop());
  const partner = await registerPhone(pbx, '207');
  cleanup(() => hangUpAll([partner]));
  const rig = await watch207(
    pbx.port,
    {
      pbx: { dialect: 'freeswitch' },
      account: { user: '900', password: 'watch900' },
      phone: { uri: '201', watch: true, ...options.phone },
      log: { level: 'debug', sipTrace: true },
    },
    options.clock,
  );
  cleanup(() => rig.watcher.stop());
  await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle');
  if (rig.watcher.partner(DESK) != null)
    await until(() => rig.watcher.partner(DESK)?.situation === 'idle', 'the desk phone idle');
  return { pbx, desk, partner, ...rig };
}

describeOnFreeswitch()('FreeSWITCH: key presses', { timeout: 90_000 }, () => {
  it("a press on an idle partner: the desk phone calls 207, who answers; FreeSWITCH ends lampfield's call, not lampfield", async () => {
    const { pbx, desk, partner, ...rig } = await setup();
    const answered = (await callExpected(pbx, partner, 100)).exited;
    expect(await rig.watcher.press(1, 'short')).toMatchObject({ kind: 'call', action: 'dial' });
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'busy', '207 busy');
    await until(() => rig.watcher.partner(DESK)?.situation === 'busy', 'the desk phone busy');
    // One REFER, 50 ms after the ACK (dialects.ts referAfterAckMs), and no BYE of lampfield's: a BYE
    // racing FreeSWITCH's move of the desk phone's channel hung that channel up.
    expect(sent(rig.log, 'REFER')).toHaveLength(1);
    expect(sent(rig.log, 'BYE')).toEqual([]);
    await desk.hangUp();
    expect(await answered).toBe(0);
    expect(rig.log.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('a press on a ringing partner: the desk phone picks the call up by **207 (intercept), the caller talks to it', async () => {
    const { pbx, partner, ...rig } = await setup();
    const ringing = (await callExpected(pbx, partner, 30_000)).exited;
    const caller = call(pbx, '211', '207', { talkMs: 1500 });
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'ringing', '207 ringing');
    // FreeSWITCH's ringing dialog has no call-id and no tags (test/vectors/freeswitch): no Replaces.
    expect(rig.watcher.partner(PARTNER_207)?.view.pickup).toMatchObject({
      ok: true,
      target: { method: 'target', uri: 'sip:**207@127.0.0.1', replaces: null },
    });

    expect(await rig.watcher.press(1, 'short')).toMatchObject({ kind: 'call', action: 'pickup' });
    // intercept took 211's call from 207 (whose INVITE FreeSWITCH cancelled: sipp's phone ends well)…
    expect(await ringing).toBe(0);
    // …to the desk phone, in the call with 211 until 211 hangs up.
    await until(() => rig.watcher.partner(DESK)?.situation === 'busy', 'the desk phone in the call');
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle, not answered');
    expect(await caller).toBe(0);
    expect(rig.panel.lamps.get(1)).not.toEqual(lampFor('error', DEFAULT_LAMPS, 'rgb'));
    expect(rig.log.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('a desk phone that does not answer is cancelled at phone.answerTimeoutSeconds, and the press fails saying so', async () => {
    const clock = new FakeClock();
    // The desk phone not watched: its subscription would wait for the pacer on the stopped clock.
    const phone = { answerTimeoutSeconds: 5, watch: false };
    const { desk, ...rig } = await setup({ manual: true, phone, clock });
    const before = desk.output().length;
    const press = rig.watcher.press(1, 'short');
    await desk.waitFor(/Incoming call from/, 'the desk phone ringing', before);
    clock.advance(5000);
    expect(await press).toEqual({
      kind: 'failed',
      action: 'dial',
      reason: 'the desk phone did not answer within 5 s',
    });
    expect(sent(rig.log, 'CANCEL')).toHaveLength(1);
    await desk.waitFor(/^CANCEL sip:/m, 'the CANCEL, through FreeSWITCH, that stops the desk phone', before);
    expect(sent(rig.log, 'REFER')).toEqual([]);
  });
});
