/**
 * Key presses as one unit (src/app/key-press.ts `KeyPresses`), with no sockets: the partner's state
 * read from real captured Kamailio NOTIFYs into the lamps (src/app/partner-lamps.ts), the desk phone a
 * fake that answers each call as the test says, time a fake clock. What a user sees: which calls the
 * desk phone is asked to make (a pickup falling through to its next method), the key's error lamp and
 * the one log line when a press fails, presses ignored while one is carried out, a flood said once.
 */
import { describe, expect, it } from 'vitest';
import { KeyPresses, type PressCalls } from '../../src/app/key-press.ts';
import { PartnerLamps } from '../../src/app/partner-lamps.ts';
import type { DeskCall } from '../../src/blf/desk-phone-calls.ts';
import { ChosenDialect } from '../../src/blf/dialect-choice.ts';
import { DIALECTS, type DialectName } from '../../src/blf/dialects.ts';
import { DialogIntake } from '../../src/blf/dialog-intake.ts';
import { DEFAULT_LAMPS, lampFor } from '../../src/blf/lamp-policy.ts';
import type { KeyConfig } from '../../src/config/config.ts';
import type { KeyView, PressReport } from '../../src/panel/panel.ts';
import type { CallOutcome, CallTarget } from '../../src/sip/call-outcome.ts';
import { notifyParts, readFirstRequest } from '../../src/sip/message-text.ts';
import { partnerUpdate } from '../../src/sip/partner-update.ts';
import { MemoryLogger } from '../../src/util/log.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { readVector } from '../support/vectors.ts';

const PARTNER = 'sip:207@127.0.0.1';
const RINGING = ['kamailio/call-answered-1-empty.sip', 'kamailio/call-answered-2-early.sip'];
const IDLE = ['kamailio/call-answered-1-empty.sip'];
const ERROR_FLASH_MS = 1000;

/** A desk phone whose calls end as `answers` says, one outcome per call in turn (then success). */
class FakeDeskPhone implements PressCalls {
  readonly calls: CallTarget[] = [];
  readonly transfers: string[] = [];
  readonly watched: string | null = null;
  /** Calls still under way: resolved by `finish`. */
  private readonly pending: ((outcome: CallOutcome) => void)[] = [];

  constructor(
    private readonly answers: CallOutcome[] = [],
    private readonly hold = false,
  ) {}

  call(target: CallTarget): Promise<CallOutcome> {
    this.calls.push(target);
    const outcome = this.answers.shift() ?? { ok: true, via: 'refer' };
    if (!this.hold) return Promise.resolve(outcome);
    return new Promise((resolve) => this.pending.push(() => resolve(outcome)));
  }

  transfer(target: string): Promise<CallOutcome> {
    this.transfers.push(target);
    return Promise.resolve({ ok: true, via: 'refer' });
  }

  inCall(): DeskCall | null {
    return null;
  }

  finish(): void {
    for (const resolve of this.pending.splice(0)) resolve({ ok: true, via: 'refer' });
  }
}

function rig(calls: PressCalls | null, files: readonly string[], dialect: DialectName = 'kamailio') {
  const clock = new FakeClock();
  const log = new MemoryLogger();
  const key: KeyConfig = { key: 1, partner: PARTNER, label: 'Anna' };
  const shown: KeyView[] = [];
  const lamps = new PartnerLamps([key], { clock, log, capability: 'rgb', registrations: false }, (view) =>
    shown.push(view),
  );
  // The partner as its subscription would tell it, after the captured NOTIFYs.
  const intake = new DialogIntake(
    DIALECTS[dialect],
    dialect === 'kamailio' ? { pickup: { code: '*8' } } : {},
  );
  const deliver = (file: string) => {
    const result = intake.notify(notifyParts(readFirstRequest(readVector(file))!), PARTNER);
    if (!result.accepted) throw new Error(`${file}: ${result.error.message}`);
    lamps.dialogs(partnerUpdate(PARTNER, { status: 'active' }, result.view));
  };
  for (const file of files) deliver(file);
  const reports: PressReport[] = [];
  const presses = new KeyPresses({
    keys: [key],
    rules: {
      domain: '127.0.0.1',
      actions: {},
      pickup: { code: '*8' },
      pbx: { hosts: ['127.0.0.1'], port: 5080 },
    },
    dialect: new ChosenDialect(DIALECTS[dialect]),
    calls,
    lamps,
    errorFlashMs: ERROR_FLASH_MS,
    clock,
    log,
    viewer: { pressShown: (report) => reports.push(report) },
  });
  const warnings = () => log.lines.filter((line) => line.level === 'warn').map((line) => line.message);
  const infos = () => log.lines.filter((line) => line.level === 'info').map((line) => line.message);
  return { clock, presses, shown, reports, warnings, infos, deliver, lamp: () => shown.at(-1)?.lamp };
}

const lamp = (state: Parameters<typeof lampFor>[0]) => lampFor(state, DEFAULT_LAMPS, 'rgb');
const failed = (status: number, stage: 'target' | 'desk-phone', reason: string): CallOutcome => ({
  ok: false,
  reason,
  stage,
  status,
});

describe('key presses', () => {
  it('picks a ringing call up by Replaces, and falls through to the pickup code when the dialog is gone (481)', async () => {
    const phone = new FakeDeskPhone([failed(481, 'target', 'the call was already answered elsewhere')]);
    const { presses, reports, infos, warnings, lamp: shownLamp } = rig(phone, RINGING);
    expect(shownLamp()).toEqual(lamp('ringing'));

    const outcome = await presses.press(1, 'short');

    expect(outcome).toMatchObject({ kind: 'call', action: 'pickup' });
    expect(phone.calls.map((call) => [call.uri, call.replaces != null])).toEqual([
      ['sip:211@127.0.0.1:5092', true],
      ['sip:*8@127.0.0.1:5080', false],
    ]);
    expect(infos()).toContain(
      'key 1: pickup by replaces failed (the call was already answered elsewhere); trying code',
    );
    expect(warnings()).toEqual([]);
    expect(shownLamp()).toEqual(lamp('ringing')); // no error flash: the pickup went through
    expect(reports.map((report) => [report.stage, report.text])).toEqual([
      ['started', "picking up Anna's call from 211"],
      ['done', "picked up Anna's call from 211"],
    ]);
  });

  it('does not fall through when the desk phone itself fails: the key flashes its error lamp, one log line', async () => {
    const phone = new FakeDeskPhone([failed(486, 'desk-phone', 'the desk phone is busy (486 Busy Here)')]);
    const { presses, clock, warnings, lamp: shownLamp, reports } = rig(phone, RINGING);

    expect(await presses.press(1, 'short')).toEqual({
      kind: 'failed',
      action: 'pickup',
      reason: 'the desk phone is busy (486 Busy Here)',
    });
    expect(phone.calls).toHaveLength(1);
    expect(warnings()).toEqual([
      'key 1: pickup sip:207@127.0.0.1 failed: the desk phone is busy (486 Busy Here)',
    ]);
    expect(shownLamp()).toEqual(lamp('error'));
    expect(reports.at(-1)).toMatchObject({
      stage: 'failed',
      text: 'failed: the desk phone is busy (486 Busy Here)',
    });
    clock.advance(ERROR_FLASH_MS);
    expect(shownLamp()).toEqual(lamp('ringing'));
  });

  it('stops after the last method: every pickup method failing is one failure', async () => {
    const phone = new FakeDeskPhone([
      failed(481, 'target', 'the call was already answered elsewhere'),
      failed(404, 'target', "the desk phone's call failed: SIP/2.0 404 Not Found"),
    ]);
    const { presses, warnings } = rig(phone, RINGING);
    expect(await presses.press(1, 'short')).toMatchObject({ kind: 'failed', action: 'pickup' });
    expect(phone.calls).toHaveLength(2);
    expect(warnings()).toEqual([
      "key 1: pickup sip:207@127.0.0.1 failed: the desk phone's call failed: SIP/2.0 404 Not Found",
    ]);
  });

  it('dials an idle partner on a short press (a down and an up), and does nothing on a long one', async () => {
    const phone = new FakeDeskPhone();
    const { presses, reports } = rig(phone, IDLE);
    presses.event({ key: 1, event: 'down' });
    presses.event({ key: 1, event: 'up' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(phone.calls).toEqual([{ uri: 'sip:207@127.0.0.1:5080', replaces: null }]);
    expect(await presses.press(1, 'long')).toEqual({ kind: 'none' });
    expect(reports.at(-1)).toMatchObject({ stage: 'nothing', text: 'nothing to do while Anna is idle' });
  });

  it('refuses every press without a desk phone, with the error lamp and the reason', async () => {
    const { presses, warnings, lamp: shownLamp } = rig(null, IDLE);
    expect(await presses.press(1, 'short')).toMatchObject({ kind: 'refused', code: 'no-desk-phone' });
    expect(warnings()).toEqual([
      'key 1: dial sip:207@127.0.0.1 failed: no desk phone configured (phone.uri)',
    ]);
    expect(shownLamp()).toEqual(lamp('error'));
  });

  it('ignores presses of a key while its last one is carried out, and a flood is said once', async () => {
    const phone = new FakeDeskPhone([], true);
    const { presses, clock, warnings } = rig(phone, IDLE);
    const tap = () => {
      presses.event({ key: 1, event: 'down' });
      presses.event({ key: 1, event: 'up' });
    };
    tap();
    // 9 s of taps, 300 ms apart: the flood is said at most every 10 s.
    for (let i = 0; i < 30; i++) {
      clock.advance(300);
      tap();
    }
    expect(phone.calls).toHaveLength(1);
    expect(warnings()).toEqual([
      'key 1: presses come faster than lampfield carries them out; some are ignored',
    ]);
    // Once the call has gone as far as it goes, the key takes a press again.
    phone.finish();
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(300);
    tap();
    expect(phone.calls).toHaveLength(2);
  });

  it('ignores an up or a long without a down before it (a panel that lost events)', () => {
    const phone = new FakeDeskPhone();
    const { presses } = rig(phone, IDLE);
    presses.event({ key: 1, event: 'up' });
    presses.event({ key: 1, event: 'long' });
    presses.event({ key: 9, event: 'down' });
    presses.event({ key: 9, event: 'up' });
    expect(phone.calls).toEqual([]);
  });

  describe("where the PBX's last word does not say (Asterisk's 503 after a pickup)", () => {
    const RINGING_ON_ASTERISK = [
      'asterisk/dialog-207-2-registered.sip',
      'asterisk/dialog-207-3-early-from-211.sip',
    ];
    const ASTERISK_503: CallOutcome = {
      ok: false,
      reason: "the desk phone's call failed: SIP/2.0 503 Service Unavailable",
      stage: 'target',
      status: 503,
      askTheCalls: true,
    };

    it('the partner stops ringing unanswered: the pickup went through, no error lamp, no warning', async () => {
      const phone = new FakeDeskPhone([ASTERISK_503]);
      const { presses, deliver, warnings, infos, shown } = rig(phone, RINGING_ON_ASTERISK, 'asterisk');
      const outcome = presses.press(1, 'short');
      await new Promise((resolve) => setImmediate(resolve));
      deliver('asterisk/dialog-207-7-terminated.sip');
      expect(await outcome).toMatchObject({ kind: 'call', action: 'pickup' });
      expect(phone.calls.map((call) => call.uri)).toEqual(['sip:**207@127.0.0.1:5080']);
      expect(warnings()).toEqual([]);
      expect(infos().at(-1)).toMatch(/^key 1: pickup sip:207@127\.0\.0\.1 went through, as the calls show/);
      expect(shown.map((view) => view.state)).not.toContain('error');
    });

    it('the partner rings on: after 3 s the pickup failed, with the error lamp and one warning', async () => {
      const phone = new FakeDeskPhone([ASTERISK_503]);
      const { presses, clock, warnings, lamp: shownLamp } = rig(phone, RINGING_ON_ASTERISK, 'asterisk');
      const outcome = presses.press(1, 'short');
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(2999);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings()).toEqual([]);
      clock.advance(1);
      expect(await outcome).toEqual({ kind: 'failed', action: 'pickup', reason: ASTERISK_503.reason });
      expect(warnings()).toEqual([`key 1: pickup ${PARTNER} failed: ${ASTERISK_503.reason}`]);
      expect(shownLamp()).toEqual(lamp('error'));
    });

    it('the partner answered it first (busy): the pickup failed', async () => {
      const phone = new FakeDeskPhone([ASTERISK_503]);
      const { presses, deliver, clock } = rig(phone, RINGING_ON_ASTERISK, 'asterisk');
      const outcome = presses.press(1, 'short');
      await new Promise((resolve) => setImmediate(resolve));
      deliver('asterisk/dialog-207-4-confirmed.sip');
      clock.advance(3000);
      expect(await outcome).toMatchObject({ kind: 'failed', action: 'pickup' });
    });
  });
});
