/**
 * The no-flicker hold (BRIEF §3) on an injected clock: innovaphone's terminated-then-proceeding on answer
 * must not flash the lamp idle; a real hang-up shows idle once the hold time has passed.
 */
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../src/blf/dialects.ts';
import { DialogWatcher } from '../../src/blf/dialog-watcher.ts';
import { DEFAULT_LAMPS } from '../../src/blf/lamp-policy.ts';
import { readDialogNotify } from '../../src/blf/dialog-notify.ts';
import { notifyParts, readFirstRequest } from '../../src/sip/message-text.ts';
import { LampFeed, type LampChange } from '../../src/app/lamp-feed.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { readVector } from '../support/vectors.ts';

function seedNotify(n: number) {
  const notify = readDialogNotify(notifyParts(readFirstRequest(readVector(`innovaphone/seed-${n}.sip`))!));
  if (!notify.ok) throw new Error(notify.message);
  return notify;
}

function setup(holdMs?: number) {
  const clock = new FakeClock();
  const shown: LampChange[] = [];
  const feed = new LampFeed(
    clock,
    [{ key: 1, table: DEFAULT_LAMPS, capability: 'rgb' }],
    (c) => shown.push(c),
    holdMs,
  );
  const watcher = new DialogWatcher(DIALECTS.innovaphone);
  const deliver = (n: number) => {
    const result = watcher.apply(seedNotify(n));
    feed.offer(1, result.view.state);
  };
  return { clock, shown, feed, deliver };
}

describe('lamp feed with the idle hold', () => {
  it('shows ringing then busy on answer, with no idle between terminated and proceeding', () => {
    const { clock, shown, deliver } = setup();
    deliver(1);
    clock.advance(2000);
    deliver(2); // terminated
    clock.advance(5); // proceeding a few ms later
    deliver(3);
    clock.advance(1000);
    expect(shown.map((change) => change.state)).toEqual(['ringing', 'busy']);
    expect(shown[1]!.lamp).toEqual({ color: 'red', pattern: 'steady' });
  });

  it('shows idle after a hang-up once the hold time (150 ms by default) has passed', () => {
    const { clock, shown, deliver } = setup();
    deliver(1);
    deliver(3);
    deliver(4); // terminated: hung up
    clock.advance(149);
    expect(shown.at(-1)!.state).toBe('busy');
    clock.advance(1);
    expect(shown.at(-1)).toEqual({ key: 1, state: 'idle', lamp: { color: 'green', pattern: 'steady' } });
  });

  it('shows the first knowledge of a partner at once, even when it is idle', () => {
    const { shown, feed } = setup();
    feed.offer(1, 'idle');
    expect(shown).toEqual([{ key: 1, state: 'idle', lamp: { color: 'green', pattern: 'steady' } }]);
  });

  it('with a hold of 0 shows idle at once', () => {
    const { shown, deliver } = setup(0);
    deliver(1);
    deliver(2);
    expect(shown.map((change) => change.state)).toEqual(['ringing', 'idle']);
  });

  it('replays every lamp on request (a panel that reconnected)', () => {
    const { shown, feed, deliver } = setup();
    deliver(1);
    feed.replay();
    expect(shown.map((change) => change.state)).toEqual(['ringing', 'ringing']);
  });
});
