/**
 * FreeSWITCH (mod_sofia, manage-presence) as the PBX whose partners lampfield watches: a key follows its
 * partner's real calls, placed by sipp phones and baresip through FreeSWITCH, which answers lampfield's
 * SUBSCRIBE (digest-authenticated against its directory) with dialog-info; a hold as each
 * presence-hold-state reports it; the subscription refreshed; offline from presence; a FreeSWITCH
 * restart followed without a human (BRIEF §10). Skipped, with one line, without a FreeSWITCH build
 * (test/support/freeswitch.ts).
 */
import { expect, it } from 'vitest';
import { Baresip } from '../support/baresip.ts';
import { cleanupAfterEach } from '../support/cleanup.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { describeOnFreeswitch, Freeswitch, type FreeswitchOptions } from '../support/freeswitch.ts';
import {
  call,
  callExpected,
  expectCall,
  hangUpAll,
  registerPhone,
  unregisterPhone,
} from '../support/sipp.ts';
import { PARTNER_207, until, watch207 } from '../support/watcher-rig.ts';

const cleanup = cleanupAfterEach();

async function freeswitch(options: FreeswitchOptions = {}): Promise<Freeswitch> {
  const pbx = await Freeswitch.start(options);
  cleanup(() => pbx.close());
  return pbx;
}

/** lampfield's config on FreeSWITCH: 900 with its password (FreeSWITCH authenticates SUBSCRIBEs). */
const account = { user: '900', password: 'watch900' };

describeOnFreeswitch()('FreeSWITCH: what a key shows', { timeout: 60_000 }, () => {
  it('idle, ringing with the caller, busy, idle: 211 calls 207, who answers and talks; dialect auto finds FreeSWITCH', async () => {
    const pbx = await freeswitch();
    const partner = await registerPhone(pbx, '207');
    cleanup(() => hangUpAll([partner]));
    const rig = await watch207(pbx.port, { pbx: { dialect: 'auto' }, account });
    cleanup(() => rig.watcher.stop());
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle');

    const seen: string[] = [];
    const answered = (await callExpected(pbx, partner, 1500)).exited;
    const talk = call(pbx, '211', '207', { talkMs: 1000 });
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'ringing', '207 ringing');
    seen.push('ringing');
    const view = rig.watcher.partner(PARTNER_207)!.view;
    expect(view.focus?.remote?.identity).toMatch(/^sip:211@127\.0\.0\.1/);
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'busy', '207 busy');
    seen.push('busy');
    await talk;
    expect(await answered).toBe(0);
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle again');
    seen.push('idle');
    expect(seen).toEqual(['ringing', 'busy', 'idle']);
    expect(rig.log.lines.map((line) => line.message).join('\n')).toMatch(/freeswitch/i);
  });

  for (const [holdState, shown] of [
    ['early', 'held'],
    ['confirmed', 'held'],
    ['terminated', 'idle'],
  ] as const) {
    it(`held, presence-hold-state ${holdState}: FreeSWITCH marks the call of the one who pressed hold (211), which shows ${shown}; 207's stays busy`, async () => {
      const pbx = await freeswitch({ holdState });
      const partner = await registerPhone(pbx, '207');
      cleanup(() => hangUpAll([partner]));
      const caller = await Baresip.start(pbx, '211');
      cleanup(() => caller.stop());
      const rig = await watch207(pbx.port, {
        pbx: { dialect: 'freeswitch' },
        account,
        keys: [
          { key: 1, partner: '207' },
          { key: 2, partner: '211' },
        ],
      });
      cleanup(() => rig.watcher.stop());
      const situation = (partner: string) => rig.watcher.partner(`sip:${partner}@127.0.0.1`)?.situation;
      await until(() => situation('207') === 'idle' && situation('211') === 'idle', '207 and 211 idle');

      void (await callExpected(pbx, partner, 100));
      await caller.dial(`sip:207@127.0.0.1:${pbx.port}`);
      await until(() => situation('207') === 'busy' && situation('211') === 'busy', '207 and 211 busy');
      await caller.hold();
      // early and confirmed: the local target's +sip.rendering=no; terminated: the dialog ended, so the
      // key of a caller holding a call reads idle (README "FreeSWITCH").
      await until(() => rig.panel.infos.get(2)?.state === shown, `211's key ${shown}`);
      expect(situation('211')).toBe(shown);
      expect(situation('207')).toBe('busy');
      await caller.resume();
      await until(() => situation('211') === 'busy', '211 busy again');
      await caller.hangUp();
      await until(() => situation('207') === 'idle' && situation('211') === 'idle', '207 and 211 idle again');
    });
  }

  it('the subscription is refreshed before it expires: the key stays right for ten expiry periods, in one dialog', async () => {
    const pbx = await freeswitch();
    const clock = new FakeClock();
    const rig = await watch207(
      pbx.port,
      { pbx: { dialect: 'freeswitch', expires: 60 }, account, log: { level: 'debug', sipTrace: true } },
      clock,
    );
    cleanup(() => rig.watcher.stop());
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle');
    const traced = (direction: string) =>
      rig.log.lines.filter((line) => line.message === direction).map((line) => String(line.fields?.['text']));
    const refreshesAnswered = () =>
      traced('SIP in').filter((text) => /^SIP\/2\.0 20[02] [\s\S]*^CSeq: \d+ SUBSCRIBE/m.test(text)).length;
    for (let period = 1; period <= 10; period++) {
      const answered = refreshesAnswered();
      // Expires 60 s: the refresh is due after 30 s (subscription-rules.ts refreshAfterMs).
      clock.advance(30_000);
      await until(() => refreshesAnswered() > answered, `refresh ${period} answered`);
      expect(rig.watcher.partner(PARTNER_207)?.situation).toBe('idle');
    }
    // Every SUBSCRIBE in the one dialog FreeSWITCH keeps: its Call-ID.
    const callIds = new Set(
      traced('SIP out')
        .filter((text) => text.startsWith('SUBSCRIBE '))
        .map((text) => /^Call-ID:\s*(\S+)/im.exec(text)?.[1]),
    );
    expect(callIds.size).toBe(1);
    // And the key still follows 207: a call after the ten refreshes shows.
    const partner = await registerPhone(pbx, '207');
    cleanup(() => hangUpAll([partner]));
    expectCall(pbx, partner, 1000);
    const talk = call(pbx, '211', '207', { talkMs: 300 });
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'ringing', '207 ringing');
    await talk;
  });

  it('offline: FreeSWITCH refuses reg (489), so lampfield reads presence: offline with no phone, idle with one', async () => {
    const pbx = await freeswitch();
    const rig = await watch207(pbx.port, {
      pbx: { dialect: 'freeswitch', registrations: true },
      account,
    });
    cleanup(() => rig.watcher.stop());
    const shown = () => rig.panel.infos.get(1)?.state;
    await until(() => shown() === 'offline', '207 offline (no phone registered)');
    expect(rig.log.lines.map((line) => line.message)).toContain(
      'the PBX refuses the registration event package (reg): offline is read from presence',
    );
    const partner = await registerPhone(pbx, '207');
    cleanup(() => hangUpAll([partner]));
    await until(() => shown() === 'idle', '207 idle once registered');
    expectCall(pbx, partner, 1000);
    const talk = call(pbx, '211', '207', { talkMs: 300 });
    await until(() => shown() === 'ringing', '207 ringing');
    await talk;
    await until(() => shown() === 'idle', '207 idle after the call');
    await unregisterPhone(pbx, partner);
    await until(() => shown() === 'offline', '207 offline again once unregistered');
    expect(rig.log.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('a FreeSWITCH restart: keys show unknown while it is down, and are right again once it answers', async () => {
    const pbx = await freeswitch();
    const rig = await watch207(pbx.port, { pbx: { dialect: 'freeswitch', keepaliveSeconds: 2 }, account });
    cleanup(() => rig.watcher.stop());
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle');
    await pbx.stop();
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'unknown', '207 unknown', 30_000);
    await pbx.launch();
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle again', 30_000);
    const partner = await registerPhone(pbx, '207');
    cleanup(() => hangUpAll([partner]));
    expectCall(pbx, partner, 1000);
    const talk = call(pbx, '211', '207', { talkMs: 300 });
    await until(
      () => rig.watcher.partner(PARTNER_207)?.situation === 'ringing',
      '207 ringing after the restart',
    );
    await talk;
  });
});
