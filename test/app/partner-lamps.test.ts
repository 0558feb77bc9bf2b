/**
 * The partners' lamps (src/app/partner-lamps.ts) on an injected clock, fed the partner updates its
 * subscription would tell from real captured NOTIFYs. The no-flicker hold (BRIEF §3): innovaphone's
 * terminated-then-proceeding on answer must not flash the lamp idle; a real hang-up shows idle once the
 * hold time has passed. And what a key shows besides its lamp: the caller of a ringing call, offline
 * from the registrations, the error lamp of a failed press.
 */
import { describe, expect, it } from 'vitest';
import { PartnerLamps } from '../../src/app/partner-lamps.ts';
import { DIALECTS } from '../../src/blf/dialects.ts';
import { DialogIntake } from '../../src/blf/dialog-intake.ts';
import { readDialogNotify } from '../../src/blf/dialog-notify.ts';
import { RegIntake } from '../../src/blf/reginfo.ts';
import type { KeyView } from '../../src/panel/panel.ts';
import { notifyParts, readFirstRequest } from '../../src/sip/message-text.ts';
import { partnerUpdate } from '../../src/sip/partner-update.ts';
import { MemoryLogger } from '../../src/util/log.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { readVector } from '../support/vectors.ts';

const PARTNER = 'sip:207@172.16.16.180';

function seedNotify(n: number) {
  const notify = readDialogNotify(notifyParts(readFirstRequest(readVector(`innovaphone/seed-${n}.sip`))!));
  if (!notify.ok) throw new Error(notify.message);
  return notify;
}

function setup(holdMs?: number, registrations = false) {
  const clock = new FakeClock();
  const shown: KeyView[] = [];
  const log = new MemoryLogger();
  const lamps = new PartnerLamps(
    [{ key: 1, partner: PARTNER, label: 'Anna' }],
    {
      clock,
      log,
      capability: 'rgb',
      registrations,
      ...(holdMs == null ? {} : { idleHoldMs: holdMs }),
    },
    (view) => shown.push(view),
  );
  const intake = new DialogIntake(DIALECTS.innovaphone);
  const deliver = (n: number) => {
    const result = intake.apply({ ...seedNotify(n), partner: PARTNER });
    lamps.dialogs(partnerUpdate(PARTNER, { status: 'active' }, result.view));
  };
  const states = () => shown.map((view) => view.state);
  const lampOf = (view: KeyView | undefined) =>
    view == null ? undefined : { key: view.key, state: view.state, lamp: view.lamp };
  return { clock, shown, lamps, deliver, states, lampOf, log };
}

describe('partner lamps with the idle hold', () => {
  it('shows ringing then busy on answer, with no idle between terminated and proceeding', () => {
    const { clock, shown, deliver, states } = setup();
    deliver(1);
    clock.advance(2000);
    deliver(2); // terminated
    clock.advance(5); // proceeding a few ms later
    deliver(3);
    clock.advance(1000);
    expect(states()).toEqual(['ringing', 'busy']);
    expect(shown[1]!.lamp).toEqual({ color: 'red', pattern: 'steady' });
  });

  it('shows idle after a hang-up once the hold time (150 ms by default) has passed', () => {
    const { clock, shown, deliver, lampOf } = setup();
    deliver(1);
    deliver(3);
    deliver(4); // terminated: hung up
    clock.advance(149);
    expect(shown.at(-1)!.state).toBe('busy');
    clock.advance(1);
    expect(lampOf(shown.at(-1))).toEqual({
      key: 1,
      state: 'idle',
      lamp: { color: 'green', pattern: 'steady' },
    });
  });

  it('shows the first knowledge of a partner at once, even when it is idle', () => {
    const { shown, lamps, lampOf } = setup();
    lamps.dialogs(
      partnerUpdate(
        PARTNER,
        { status: 'active' },
        new DialogIntake(DIALECTS.generic).apply({ body: '', partner: PARTNER }).view,
      ),
    );
    expect(shown.map(lampOf)).toEqual([
      { key: 1, state: 'idle', lamp: { color: 'green', pattern: 'steady' } },
    ]);
  });

  it('with a hold of 0 shows idle at once', () => {
    const { deliver, states } = setup(0);
    deliver(1);
    deliver(2);
    expect(states()).toEqual(['ringing', 'idle']);
  });

  it('replays every lamp on request (a panel that reconnected)', () => {
    const { lamps, deliver, states } = setup();
    deliver(1);
    lamps.replay();
    expect(states()).toEqual(['ringing', 'ringing']);
  });
});

describe('partner lamps', () => {
  it('say who calls a ringing partner, with the key and its label, and not once the call is answered', () => {
    const { clock, shown, deliver } = setup();
    deliver(1);
    expect(shown.at(-1)).toMatchObject({ key: 1, partner: PARTNER, label: 'Anna', state: 'ringing' });
    expect(shown.at(-1)!.caller).not.toBeNull();
    deliver(3);
    clock.advance(1000);
    expect(shown.at(-1)).toMatchObject({ state: 'busy', caller: null });
  });

  it('show a subscription that is not active as unknown, never a stale idle', () => {
    const { shown, lamps, deliver } = setup(0);
    deliver(1);
    const view = new DialogIntake(DIALECTS.innovaphone).view(PARTNER);
    lamps.dialogs(partnerUpdate(PARTNER, { status: 'lost', reason: 'the PBX does not answer' }, view));
    expect(shown.at(-1)).toMatchObject({ state: 'unknown', lamp: { color: 'off', pattern: 'off' } });
    expect(lamps.partner(PARTNER)).toMatchObject({ status: 'lost', situation: 'unknown' });
  });

  it('with registrations watched: unknown until they answer, offline with no phone registered, idle once one is', () => {
    const { shown, lamps } = setup(0, true);
    const idle = new DialogIntake(DIALECTS.kamailio).apply({ body: '', partner: PARTNER }).view;
    lamps.dialogs(partnerUpdate(PARTNER, { status: 'active' }, idle));
    expect(shown.at(-1)?.state).toBe('unknown');
    const reg = new RegIntake();
    const registration = (file: string) => {
      const result = reg.notify(notifyParts(readFirstRequest(readVector(file))!), PARTNER);
      if (!result.accepted) throw new Error(`${file}: ${result.error.message}`);
      lamps.registrations(partnerUpdate(PARTNER, { status: 'active' }, result.view));
    };
    registration('kamailio/reg-207-1-empty.sip');
    expect(shown.at(-1)?.state).toBe('offline');
    registration('kamailio/reg-207-2-registered.sip');
    expect(shown.at(-1)?.state).toBe('idle');
  });

  it('flash the error lamp for the given time, then show the partner again', () => {
    const { clock, shown, lamps, deliver } = setup();
    deliver(1);
    lamps.flashError(1, 1000);
    expect(shown.at(-1)).toMatchObject({ state: 'error', lamp: { color: 'red', pattern: 'flash' } });
    clock.advance(1000);
    expect(shown.at(-1)?.state).toBe('ringing');
  });
});

describe('partner lamps when the keys change while running', () => {
  it('keep a key that stayed as it was, show a new key its partner at once, and darken a key no longer used', () => {
    const { shown, lamps, deliver } = setup(0);
    deliver(1); // 207 rings
    const count = shown.length;
    const OTHER = 'sip:211@172.16.16.180';
    const dark: number[] = [];
    lamps.setKeys(
      [
        { key: 1, partner: PARTNER, label: 'Anna' },
        { key: 2, partner: PARTNER, label: 'Anna again' },
      ],
      [PARTNER],
      (key) => dark.push(key),
    );
    // Key 1 is as it was: nothing shown again. Key 2 shows 207 ringing at once, not after the hold.
    const views = shown.slice(count);
    expect(views.map((view) => view.key)).toEqual([2]);
    expect(views[0]).toMatchObject({ state: 'ringing', label: 'Anna again' });
    expect(views[0]?.caller).not.toBeNull();
    // Key 1 now watches 211, of which nothing is known yet; key 2 is no longer used.
    lamps.setKeys([{ key: 1, partner: OTHER, label: 'Carl' }], [OTHER], (key) => dark.push(key));
    expect(shown.at(-1)).toMatchObject({ key: 1, partner: OTHER, state: 'unknown', label: 'Carl' });
    expect(dark).toEqual([2]);
    // What was known of 207 is let go; an update of it changes no key.
    expect(lamps.partner(PARTNER)).toBeNull();
    const before = shown.length;
    deliver(3);
    expect(shown.length).toBe(before);
  });
});
