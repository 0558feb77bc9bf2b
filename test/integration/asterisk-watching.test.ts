/**
 * Asterisk (res_pjsip, hints) as the PBX whose partners lampfield watches: a key follows its partner's
 * real calls, placed by sipp phones and baresip through Asterisk; the subscription is refreshed; an
 * Asterisk restart is followed without a human (BRIEF §10). Skipped, with one line, without an
 * Asterisk build (test/support/asterisk.ts).
 */
import { expect, it } from 'vitest';
import { Asterisk, describeOnAsterisk } from '../support/asterisk.ts';
import { Baresip } from '../support/baresip.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { cleanupAfterEach } from '../support/cleanup.ts';
import { call, expectCall, hangUpAll, registerPhone, unregisterPhone } from '../support/sipp.ts';
import { PARTNER_207, until, watch207 } from '../support/watcher-rig.ts';

const cleanup = cleanupAfterEach();

async function asterisk(): Promise<Asterisk> {
  const pbx = await Asterisk.start();
  cleanup(() => pbx.close());
  return pbx;
}

/** lampfield's config on Asterisk: 900 with its password, the asterisk dialect. */
const ON_ASTERISK = { pbx: { dialect: 'asterisk' }, account: { user: '900', password: 'watch900' } };

describeOnAsterisk()('Asterisk: what a key shows', { timeout: 60_000 }, () => {
  it('idle, ringing with the caller, busy, idle: 211 calls 207, who answers and talks', async () => {
    const pbx = await asterisk();
    const partner = await registerPhone(pbx, '207');
    cleanup(() => hangUpAll([partner]));
    const rig = await watch207(pbx.port, ON_ASTERISK);
    cleanup(() => rig.watcher.stop());
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle');

    const seen: string[] = [];
    const answered = expectCall(pbx, partner, 1500).exited;
    const talk = call(pbx, '211', '207', { talkMs: 1000 });
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'ringing', '207 ringing');
    seen.push('ringing');
    const view = rig.watcher.partner(PARTNER_207)!.view;
    // Asterisk names the caller by its caller ID (pjsip.conf callerid), its number as the remote target.
    expect(view.focus?.remote).toMatchObject({ display: 'Carl Dahl', identity: 'sip:211@127.0.0.1' });
    expect(rig.panel.infos.get(1)?.caller).toBe('Carl Dahl');
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'busy', '207 busy');
    seen.push('busy');
    await talk;
    expect(await answered).toBe(0);
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle again');
    seen.push('idle');
    expect(seen).toEqual(['ringing', 'busy', 'idle']);
  });

  it('held: the partner whose caller pressed hold shows held, and busy again when taken off hold', async () => {
    const pbx = await asterisk();
    const partner = await registerPhone(pbx, '207');
    cleanup(() => hangUpAll([partner]));
    const caller = await Baresip.start(pbx, '211');
    cleanup(() => caller.stop());
    const rig = await watch207(pbx.port, ON_ASTERISK);
    cleanup(() => rig.watcher.stop());
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle');

    void expectCall(pbx, partner, 100);
    await caller.dial(`sip:207@127.0.0.1:${pbx.port}`);
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'busy', '207 busy');
    // Asterisk marks the channel that is held (207's), not the one that pressed hold (README).
    await caller.hold();
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'held', '207 held');
    await caller.resume();
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'busy', '207 busy again');
    await caller.hangUp();
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle again');
  });

  it('the subscription is refreshed before it expires: the key stays right for ten expiry periods', async () => {
    const pbx = await asterisk();
    const clock = new FakeClock();
    const rig = await watch207(
      pbx.port,
      { ...ON_ASTERISK, pbx: { dialect: 'asterisk', expires: 60 }, log: { level: 'debug', sipTrace: true } },
      clock,
    );
    cleanup(() => rig.watcher.stop());
    await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', '207 idle');
    const before = subscriptionIds(pbx);
    expect(before).toHaveLength(1);
    const refreshesAnswered = () =>
      rig.log.lines.filter((line) =>
        /^SIP\/2\.0 200 OK[\s\S]*^CSeq: \d+ SUBSCRIBE/m.test(String(line.fields?.['text'])),
      ).length;
    for (let period = 1; period <= 10; period++) {
      const answered = refreshesAnswered();
      // Expires 60 s: the refresh is due after 30 s (subscription-rules.ts refreshAfterMs).
      clock.advance(30_000);
      await until(() => refreshesAnswered() > answered, `refresh ${period} answered`);
      expect(rig.watcher.partner(PARTNER_207)?.situation).toBe('idle');
    }
    // Still the one subscription Asterisk knows, not a new one each time.
    expect(subscriptionIds(pbx)).toEqual(before);
  });

  it('offline: Asterisk refuses reg (489), so lampfield reads presence: offline with no phone, idle with one', async () => {
    const pbx = await asterisk();
    const rig = await watch207(pbx.port, {
      ...ON_ASTERISK,
      pbx: { dialect: 'asterisk', registrations: true },
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

  it('an Asterisk restart: keys show unknown while it is down, and are right again once it answers', async () => {
    const pbx = await asterisk();
    const rig = await watch207(pbx.port, {
      ...ON_ASTERISK,
      pbx: { dialect: 'asterisk', keepaliveSeconds: 2 },
    });
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

/** The inbound subscriptions Asterisk holds, by their dialog's Call-ID. */
function subscriptionIds(pbx: Asterisk): string[] {
  return [...pbx.cli('pjsip show subscriptions inbound').matchAll(/^\s*Expiry:\s+\d+\s+(\S+)/gm)].map(
    (match) => match[1]!,
  );
}
