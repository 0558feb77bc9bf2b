/**
 * A press while the desk phone is in a call, on Asterisk: the call goes to the partner. Asterisk's
 * dialog-info names no call (no call-id, no tags), and res_pjsip takes no REFER with Target-Dialog, so
 * lampfield moves it through Asterisk's manager interface (`pbx.asterisk.manager`, AMI BlindTransfer of
 * the desk phone's channel); without one the press says why it cannot, and the busy desk phone is not
 * rung again. baresip plays the desk phone (answered by hand) and the caller (211); a sipp phone is 207.
 * Skipped, with one line, without an Asterisk build (test/support/asterisk.ts).
 */
import { expect, it } from 'vitest';
import { doctorChecks } from '../../src/app/doctor-checks.ts';
import { DEFAULT_LAMPS, lampFor } from '../../src/blf/lamp-policy.ts';
import { parseConfig } from '../../src/config/config.ts';
import type { MemoryLogger } from '../../src/util/log.ts';
import { AMI_SECRET, AMI_USER, Asterisk, describeOnAsterisk } from '../support/asterisk.ts';
import { Baresip } from '../support/baresip.ts';
import { testPlatform } from '../support/platform.ts';
import { cleanupAfterEach } from '../support/cleanup.ts';
import { expectCall, hangUpAll, registerPhone } from '../support/sipp.ts';
import { PARTNER_207, until, watch207 } from '../support/watcher-rig.ts';

const cleanup = cleanupAfterEach();

const DESK = 'sip:201@127.0.0.1';
const said = (log: MemoryLogger) => log.lines.map((line) => `${line.level} ${line.message}`).join('\n');

/** Asterisk, the desk phone answered by hand, 211 and 207, lampfield watching 207 and the desk phone. */
async function setup(manager: boolean) {
  const pbx = await Asterisk.start({ manager });
  cleanup(() => pbx.close());
  const desk = await Baresip.start(pbx, '201', 'manual');
  cleanup(() => desk.stop());
  const caller = await Baresip.start(pbx, '211');
  cleanup(() => caller.stop());
  const partner = await registerPhone(pbx, '207');
  cleanup(() => hangUpAll([partner]));
  const rig = await watch207(pbx.port, {
    pbx: {
      dialect: 'asterisk',
      ...(manager
        ? { asterisk: { manager: { port: pbx.managerPort, user: AMI_USER, secret: AMI_SECRET } } }
        : {}),
    },
    account: { user: '900', password: 'watch900' },
    phone: { uri: '201', watch: true },
  });
  cleanup(() => rig.watcher.stop());
  await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle');
  await until(() => rig.watcher.partner(DESK)?.situation === 'idle', 'the desk phone idle');
  // 211 calls the desk phone; the person at the desk answers.
  const before = desk.output().length;
  await caller.dial(`sip:201@127.0.0.1:${pbx.port}`);
  await desk.waitFor(/Incoming call from/, 'the call ringing at the desk', before);
  await desk.answer();
  await until(() => rig.watcher.partner(DESK)?.situation === 'busy', 'the desk phone in the call');
  return { pbx, desk, caller, partner, ...rig };
}

describeOnAsterisk()('Asterisk: a press during a call', { timeout: 60_000 }, () => {
  it("hands 211's call to 207 through Asterisk's manager: 211 talks to 207, the desk phone is free", async () => {
    const { pbx, desk, caller, partner, watcher, log } = await setup(true);
    const answered = expectCall(pbx, partner, 100).exited;
    const before = desk.output().length;
    expect(await watcher.press(1, 'short'), said(log)).toMatchObject({
      kind: 'transfer',
      action: 'transfer',
    });
    await until(() => watcher.partner(PARTNER_207)?.situation === 'busy', '207 in the call');
    await desk.waitFor(/^BYE sip:/m, "Asterisk's BYE to the desk phone", before);
    await until(() => watcher.partner(DESK)?.situation === 'idle', 'the desk phone free');
    // 207's call is 211's: when 211 hangs up, 207's call ends.
    await caller.hangUp();
    expect(await answered).toBe(0);
    expect(log.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it("without Asterisk's manager: one line says why it cannot, the error lamp flashes, the desk phone is not rung again", async () => {
    const { desk, watcher, log, panel } = await setup(false);
    const rung = (desk.output().match(/Incoming call from/g) ?? []).length;
    expect(await watcher.press(1, 'short')).toEqual({
      kind: 'failed',
      action: 'transfer',
      reason:
        "cannot transfer: the PBX's dialog state does not identify the desk phone's call (call-id, tags); give lampfield Asterisk's manager (pbx.asterisk.manager)",
    });
    expect(log.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    expect(panel.lamps.get(1)).toEqual(lampFor('error', DEFAULT_LAMPS, 'rgb'));
    expect((desk.output().match(/Incoming call from/g) ?? []).length).toBe(rung);
    expect(watcher.partner(DESK)?.situation).toBe('busy');
  });

  it("lampfield doctor checks the manager's login: ok with the right secret, the fix with a wrong one", async () => {
    const pbx = await Asterisk.start({ manager: true });
    cleanup(() => pbx.close());
    const check = async (secret: string) => {
      const config = parseConfig(
        JSON.stringify({
          pbx: {
            host: '127.0.0.1',
            port: pbx.port,
            asterisk: { manager: { port: pbx.managerPort, user: AMI_USER, secret } },
          },
          account: { user: '900', password: 'watch900' },
          local: { address: '127.0.0.1' },
          keys: [{ key: 1, partner: '207' }],
        }),
        'lampfield.json',
      );
      const checks = await doctorChecks(config, testPlatform(), 4000);
      return checks.find((each) => each.what.includes('manager'));
    };
    expect(await check(AMI_SECRET)).toEqual({
      ok: true,
      what: `asterisk manager 127.0.0.1:${pbx.managerPort}: takes lampfield's login`,
    });
    const wrong = await check('wrong');
    expect(wrong).toMatchObject({
      ok: false,
      what: `Asterisk's manager at 127.0.0.1:${pbx.managerPort} refused the login (Authentication failed): check pbx.asterisk.manager`,
    });
    expect(wrong?.fix).toMatch(/manager\.conf/);
  });
});
