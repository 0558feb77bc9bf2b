/**
 * The generic HID keypad panel on a fake of the 12-key reference keypad (test/support/fake-hid-keypad.ts):
 * every lamp the core decides on single LEDs, presses into the key-action layer, one report per blink
 * phase, unplug and replug, and dark LEDs on exit.
 */
import { describe, expect, it } from 'vitest';
import { HidKeypadPanel } from '../../hw/hid/hid-keypad-panel.ts';
import { GestureTracker, keyAction } from '../../src/blf/key-actions.ts';
import { DEFAULT_LAMPS, lampFor, LAMP_SITUATIONS, type LampSituation } from '../../src/blf/lamp-policy.ts';
import { loadBoards } from '../../src/config/boards.ts';
import { BlinkClock } from '../../src/panel/blink-clock.ts';
import type { KeyInfo, PanelStatus } from '../../src/panel/panel.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { FakeHidPort } from '../support/fake-hid-keypad.ts';
import { watchKey } from '../support/lamp-observer.ts';

const keypad = loadBoards().find((board) => board.id === 'hid-keypad-12')!;
const info: KeyInfo = { partner: 'sip:207@pbx', state: 'idle', label: null, caller: null };
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** BRIEF §3 on a single LED (the mono column). */
const SEEN: Record<LampSituation, string> = {
  ringing: 'on fast-blink',
  busy: 'on steady',
  calling: 'on steady',
  held: 'on slow-blink',
  idle: 'off off',
  offline: 'off off',
  unknown: 'off off',
  refused: 'on flash',
  error: 'on flash',
};

async function setup() {
  const clock = new FakeClock();
  const port = new FakeHidPort();
  const panel = new HidKeypadPanel(keypad, port, { clock, blink: new BlinkClock(clock) });
  const statuses: PanelStatus[] = [];
  panel.onStatus((status) => statuses.push(status));
  panel.start();
  for (let i = 0; i < 50 && !panel.ready; i++) await nextTurn();
  return { clock, port, panel, statuses };
}

describe('generic HID keypad panel', () => {
  it('shows every lamp the core decides as a single LED can (idle dark)', async () => {
    const { clock, port, panel } = await setup();
    for (const situation of LAMP_SITUATIONS) {
      panel.setLamp(12, lampFor(situation, DEFAULT_LAMPS, 'mono'), info);
      const seen = await watchKey(clock, () => (port.device!.lit(12) ? 'on' : 'off'), nextTurn);
      expect(`${seen.color} ${seen.pattern}`, situation).toBe(SEEN[situation]);
    }
    await panel.close();
  });

  it('gives the key-action layer each press, two keys held at once included', async () => {
    const { clock, port, panel } = await setup();
    const tracker = new GestureTracker();
    const actions: string[] = [];
    panel.onKey((event) => {
      const gesture = tracker.event(event.key, event.event);
      if (gesture != null) actions.push(`${event.key} ${gesture} ${keyAction('idle', gesture).kind}`);
    });
    const device = port.device!;
    device.key(10, true);
    device.key(3, true);
    clock.advance(100);
    device.key(3, false);
    clock.advance(600);
    device.key(10, false);
    expect(actions).toEqual(['3 short dial', '10 long none']);
    await panel.close();
  });

  it('writes one LED report per blink phase, however many keys blink', async () => {
    const { clock, port, panel } = await setup();
    for (let key = 1; key <= 12; key++) panel.setLamp(key, { color: 'red', pattern: 'fast-blink' }, info);
    await nextTurn();
    const before = port.device!.writes.length;
    for (let t = 0; t < 1000; t += 5) {
      clock.advance(5);
      await nextTurn();
    }
    // fast-blink turns on and off 4 times a second each: 8 reports for all 12 LEDs.
    expect(port.device!.writes.length - before).toBe(8);
    await panel.close();
  });

  it('recovers from an unplug and lights every LED again when the keypad is back', async () => {
    const { clock, port, panel, statuses } = await setup();
    panel.setLamp(1, { color: 'red', pattern: 'steady' }, info);
    port.device!.unplug();
    for (let i = 0; i < 10; i++) await nextTurn();
    expect(statuses.at(-1)).toEqual({
      state: 'disconnected',
      detail: 'HID keypad (fake): could not read from HID device',
    });
    panel.setLamp(2, { color: 'red', pattern: 'steady' }, info);
    const device = port.plug();
    clock.advance(2000);
    for (let i = 0; i < 10; i++) await nextTurn();
    expect(statuses.at(-1)?.state).toBe('connected');
    expect([device.lit(1), device.lit(2), device.lit(3)]).toEqual([true, true, false]);
    await panel.close();
    expect(device.lit(1)).toBe(false);
    expect(device.closed).toBe(true);
  });
});
