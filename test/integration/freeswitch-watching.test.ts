/**
 * FreeSWITCH (mod_sofia, manage-presence) as the PBX whose partners lampfield watches: a key follows its
 * partner's real calls, placed by sipp phones through FreeSWITCH, which answers lampfield's SUBSCRIBE
 * (digest-authenticated against its directory) with dialog-info. Skipped, with one line, without a
 * FreeSWITCH build (test/support/freeswitch.ts).
 */
import { expect, it } from 'vitest';
import { Baresip } from '../support/baresip.ts';
import { cleanupAfterEach } from '../support/cleanup.ts';
import { describeOnFreeswitch, Freeswitch } from '../support/freeswitch.ts';
import { call, callExpected, hangUpAll, registerPhone } from '../support/sipp.ts';
import { PARTNER_207, until, watch207 } from '../support/watcher-rig.ts';

const cleanup = cleanupAfterEach();

async function freeswitch(): Promise<Freeswitch> {
  const pbx = await Freeswitch.start();
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

  it("held: FreeSWITCH marks the call of the one who pressed hold (211: early, +sip.rendering=no), which shows held; 207's stays busy", async () => {
    const pbx = await freeswitch();
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
    await until(() => situation('211') === 'held', '211 held');
    expect(rig.panel.infos.get(2)?.state).toBe('held');
    expect(situation('207')).toBe('busy');
    await caller.resume();
    await until(() => situation('211') === 'busy', '211 busy again');
    await caller.hangUp();
    await until(() => situation('207') === 'idle' && situation('211') === 'idle', '207 and 211 idle again');
  });
});
