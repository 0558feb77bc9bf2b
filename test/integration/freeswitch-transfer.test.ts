/**
 * A press while the desk phone is in a call, on FreeSWITCH: the call goes to the partner. FreeSWITCH's
 * dialog-info names no SIP call (no call-id, no tags), only its channel (the dialog's id is the channel's
 * uuid), so lampfield moves the call through FreeSWITCH's event socket (`pbx.freeswitch.eventSocket`:
 * uuid_transfer of the channel bridged to the desk phone's); without one the press says why it cannot,
 * and the busy desk phone is not rung again. baresip plays the desk phone (answered by hand) and the
 * caller (211); a sipp phone is 207. Skipped, with one line, without a FreeSWITCH build
 * (test/support/freeswitch.ts).
 */
import { expect, it } from 'vitest';
import { doctorChecks } from '../../src/app/doctor-checks.ts';
import { DEFAULT_LAMPS, lampFor } from '../../src/blf/lamp-policy.ts';
import { parseConfig } from '../../src/config/config.ts';
import type { MemoryLogger } from '../../src/util/log.ts';
import { Baresip } from '../support/baresip.ts';
import { cleanupAfterEach } from '../support/cleanup.ts';
import { describeOnFreeswitch, Freeswitch } from '../support/freeswitch.ts';
import { testPlatform } from '../support/platform.ts';
import { expectCall, hangUpAll, registerPhone } from '../support/sipp.ts';
import { PARTNER_207, until, watch207 } from '../support/watcher-rig.ts';

const cleanup = cleanupAfterEach();

const DESK = 'sip:201@127.0.0.1';
const said = (log: MemoryLogger) => log.lines.map((line) => `${line.level} ${line.message}`).join('\n');

/**
 * FreeSWITCH, the desk phone answered by hand, 211 and 207, lampfield watching 207 and the desk phone,
 * the desk phone in a call with 211: 211 called it (`incoming`), or it called 211.
 */
async function setup(eventSocket: boolean, direction: 'incoming' | 'outgoing' | 'ringing out' = 'incoming') {
  const pbx = await Freeswitch.start();
  cleanup(() => pbx.close());
  const desk = await Baresip.start(pbx, '201', 'manual');
  cleanup(() => desk.stop());
  const caller = await Baresip.start(pbx, '211', direction === 'ringing out' ? 'manual' : 'auto');
  cleanup(() => caller.stop());
  const partner = await registerPhone(pbx, '207');
  cleanup(() => hangUpAll([partner]));
  const { port, password } = pbx.eventSocket;
  const rig = await watch207(pbx.port, {
    pbx: {
      dialect: 'freeswitch',
      ...(eventSocket ? { freeswitch: { eventSocket: { port, password } } } : {}),
    },
    account: { user: '900', password: 'watch900' },
    phone: { uri: '201', watch: true },
  });
  cleanup(() => rig.watcher.stop());
  await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle');
  await until(() => rig.watcher.partner(DESK)?.situation === 'idle', 'the desk phone idle');
  if (direction === 'incoming') {
    // 211 calls the desk phone; the person at the desk answers.
    const before = desk.output().length;
    await caller.dial(`sip:201@127.0.0.1:${pbx.port}`);
    await desk.waitFor(/Incoming call from/, 'the call ringing at the desk', before);
    await desk.answer();
  } else {
    // The person at the desk calls 211, whose phone answers by itself (or rings on).
    const before = desk.output().length;
    const ringing = caller.output().length;
    await desk.dial(`sip:211@127.0.0.1:${pbx.port}`);
    if (direction === 'outgoing') await desk.waitFor(/established/i, 'the call answered by 211', before);
    else await caller.waitFor(/Incoming call from/, "the desk phone's call ringing at 211", ringing);
  }
  await until(() => rig.watcher.partner(DESK)?.situation === 'busy', 'the desk phone in the call');
  return { pbx, desk, caller, partner, ...rig };
}

describeOnFreeswitch()('FreeSWITCH: a press during a call', { timeout: 60_000 }, () => {
  for (const [direction, whose] of [
    ['incoming', '211 called the desk phone'],
    ['outgoing', 'the desk phone called 211: its channel the one that bridged'],
  ] as const) {
    it(`hands 211's call to 207 through FreeSWITCH's event socket (${whose}): 211 talks to 207, the desk phone is free`, async () => {
      const { pbx, desk, caller, partner, watcher, log } = await setup(true, direction);
      const answered = expectCall(pbx, partner, 100).exited;
      const before = desk.output().length;
      expect(await watcher.press(1, 'short'), said(log)).toMatchObject({
        kind: 'transfer',
        action: 'transfer',
      });
      await until(() => watcher.partner(PARTNER_207)?.situation === 'busy', '207 in the call');
      await desk.waitFor(/^BYE sip:/m, "FreeSWITCH's BYE to the desk phone", before);
      await until(() => watcher.partner(DESK)?.situation === 'idle', 'the desk phone free');
      // 207's call is 211's: when 211 hangs up, 207's call ends.
      await caller.hangUp();
      expect(await answered).toBe(0);
      expect(log.lines.filter((line) => line.level === 'warn')).toEqual([]);
    });
  }

  it("a press while the desk phone's own call still rings out: no transfer (FreeSWITCH has it in no bridge), one line says so, the call rings on", async () => {
    const { caller, watcher, log } = await setup(true, 'ringing out');
    const outcome = await watcher.press(1, 'short');
    expect(outcome).toMatchObject({ kind: 'failed', action: 'transfer' });
    expect('reason' in outcome ? outcome.reason : '').toMatch(
      /^FreeSWITCH's event socket at 127\.0\.0\.1:\d+ shows the desk phone's call connected to nobody yet \(_undef_\): nothing to transfer$/,
    );
    expect(log.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    // The desk phone's call still rings at 211: 211 can answer it.
    const before = caller.output().length;
    await caller.answer();
    await caller.waitFor(/established/i, 'the call answered at 211', before);
  });

  it("without FreeSWITCH's event socket: one line says why it cannot, the error lamp flashes, the desk phone is not rung again", async () => {
    const { desk, watcher, log, panel } = await setup(false);
    const rung = (desk.output().match(/Incoming call from/g) ?? []).length;
    expect(await watcher.press(1, 'short')).toEqual({
      kind: 'failed',
      action: 'transfer',
      reason:
        "cannot transfer: the PBX's dialog state does not identify the desk phone's call (call-id, tags); give lampfield FreeSWITCH's event socket (pbx.freeswitch.eventSocket)",
    });
    expect(log.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    expect(panel.lamps.get(1)).toEqual(lampFor('error', DEFAULT_LAMPS, 'rgb'));
    expect((desk.output().match(/Incoming call from/g) ?? []).length).toBe(rung);
    expect(watcher.partner(DESK)?.situation).toBe('busy');
  });

  it("lampfield doctor checks the event socket's password: ok with the right one, the fix with a wrong one", async () => {
    const pbx = await Freeswitch.start();
    cleanup(() => pbx.close());
    const { port } = pbx.eventSocket;
    const check = async (password: string) => {
      const config = parseConfig(
        JSON.stringify({
          pbx: { host: '127.0.0.1', port: pbx.port, freeswitch: { eventSocket: { port, password } } },
          account: { user: '900', password: 'watch900' },
          local: { address: '127.0.0.1' },
          keys: [{ key: 1, partner: '207' }],
        }),
        'lampfield.json',
      );
      const checks = await doctorChecks(config, testPlatform(), 4000);
      return checks.find((each) => each.what.includes('event socket'));
    };
    expect(await check(pbx.eventSocket.password)).toEqual({
      ok: true,
      what: `freeswitch event socket 127.0.0.1:${port}: takes lampfield's password`,
    });
    const wrong = await check('wrong');
    expect(wrong).toMatchObject({
      ok: false,
      what: `FreeSWITCH's event socket at 127.0.0.1:${port} refused the password (-ERR invalid): check pbx.freeswitch.eventSocket`,
    });
    expect(wrong?.fix).toMatch(/event_socket\.conf\.xml/);
  });
});
