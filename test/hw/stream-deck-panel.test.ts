/**
 * The Stream Deck panel on a fake MK.2 at the HID boundary (test/support/fake-stream-deck.ts), read back
 * from the JPEG images @elgato-stream-deck/core sends: every lamp the core decides, presses into the
 * key-action layer, labels and callers, unplug and replug, and a deck that is not the configured one.
 */
import { DeviceModelId } from '@elgato-stream-deck/core';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { StreamDeckPanel } from '../../hw/hid/stream-deck-panel.ts';
import { GestureTracker, keyAction } from '../../src/blf/key-actions.ts';
import { DEFAULT_LAMPS, lampFor, LAMP_SITUATIONS, type LampSituation } from '../../src/blf/lamp-policy.ts';
import { loadBoards } from '../../src/config/boards.ts';
import { BlinkClock } from '../../src/panel/blink-clock.ts';
import type { KeyInfo, PanelStatus } from '../../src/panel/panel.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { FakeStreamDeckPort } from '../support/fake-stream-deck.ts';
import { watchKey } from '../support/lamp-observer.ts';

const boards = loadBoards();
const board = (id: string) => boards.find((candidate) => candidate.id === id)!;
const info: KeyInfo = { partner: 'sip:207@pbx', state: 'idle', label: 'Anna', caller: null };

/** BRIEF §3 on a key that shows any color. */
const SEEN: Record<LampSituation, string> = {
  ringing: 'red fast-blink',
  busy: 'red steady',
  calling: 'red slow-blink',
  held: 'amber slow-blink',
  idle: 'green steady',
  offline: 'white steady',
  unknown: 'off off',
  refused: 'amber flash',
  error: 'red flash',
};

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!check()) throw new Error(`${what} did not happen`);
}

function setup(id = 'streamdeck-15') {
  const clock = new FakeClock();
  const port = new FakeStreamDeckPort();
  const panel = new StreamDeckPanel(board(id), port, { clock, blink: new BlinkClock(clock) });
  const statuses: PanelStatus[] = [];
  panel.onStatus((status) => statuses.push(status));
  return { clock, port, panel, statuses };
}

/** Pixels of a key's image that are text (far from the background at the corner). */
function inkPixels(image: Uint8Array): number {
  const { data, width, height } = jpeg.decode(image, { useTArray: true });
  const corner = [data[0]!, data[1]!, data[2]!];
  let ink = 0;
  for (let i = 0; i < width * height * 4; i += 4)
    if (
      Math.abs(data[i]! - corner[0]!) +
        Math.abs(data[i + 1]! - corner[1]!) +
        Math.abs(data[i + 2]! - corner[2]!) >
      200
    )
      ink++;
  return ink;
}

describe('Stream Deck panel', () => {
  it('shows every lamp the core decides, blinking by redrawing on the blink clock', async () => {
    const { clock, port, panel } = setup();
    panel.start();
    await until(() => panel.ready, 'opening');
    for (const situation of LAMP_SITUATIONS) {
      panel.setLamp(9, lampFor(situation, DEFAULT_LAMPS, 'rgb'), info);
      const seen = await watchKey(
        clock,
        () => port.device!.color(8),
        () => panel.drawn(),
      );
      expect(`${seen.color} ${seen.pattern}`, situation).toBe(SEEN[situation]);
    }
    await panel.close();
    expect(port.device!.closed).toBe(true);
  });

  it('gives the key-action layer each press with its key and gesture', async () => {
    const { clock, port, panel } = setup();
    const tracker = new GestureTracker();
    const actions: string[] = [];
    panel.onKey((event) => {
      const gesture = tracker.event(event.key, event.event);
      if (gesture != null) actions.push(`${event.key} ${gesture} ${keyAction('ringing', gesture).kind}`);
    });
    panel.start();
    await until(() => panel.ready, 'opening');
    port.device!.key(14, true);
    clock.advance(120);
    port.device!.key(14, false);
    port.device!.key(0, true);
    clock.advance(800);
    port.device!.key(0, false);
    expect(actions).toEqual(['15 short pickup', '1 long dial']);
    await panel.close();
  });

  it('draws the label, and the caller while the partner rings', async () => {
    const { port, panel } = setup();
    panel.start();
    await until(() => panel.ready, 'opening');
    const busy = lampFor('busy', DEFAULT_LAMPS, 'rgb');
    panel.setLamp(2, busy, { ...info, state: 'busy', label: null });
    await panel.drawn();
    const blank = port.device!.images.get(1)!;
    panel.setLamp(2, busy, { ...info, state: 'busy' });
    await panel.drawn();
    const labelled = port.device!.images.get(1)!;
    expect(inkPixels(blank)).toBe(0);
    expect(inkPixels(labelled)).toBeGreaterThan(30);
    // Same lamp, a caller now: the key is drawn again with more words on it.
    const steadyRed = { color: 'red', pattern: 'steady' } as const;
    panel.setLamp(2, steadyRed, { ...info, state: 'ringing' });
    await panel.drawn();
    const ringing = port.device!.images.get(1)!;
    panel.setLamp(2, steadyRed, { ...info, state: 'ringing', caller: 'Bob Smith' });
    await panel.drawn();
    expect(inkPixels(port.device!.images.get(1)!)).toBeGreaterThan(inkPixels(ringing) + 30);
    await panel.close();
  });

  it('recovers from an unplug: says so, and draws every key again when it is back', async () => {
    const { clock, port, panel, statuses } = setup();
    panel.start();
    await until(() => panel.ready, 'opening');
    panel.setLamp(1, { color: 'green', pattern: 'steady' }, info);
    await panel.drawn();
    port.device!.unplug();
    await until(() => statuses.at(-1)?.state === 'disconnected', 'noticing the unplug');
    expect(statuses.at(-1)).toEqual({
      state: 'disconnected',
      detail: 'Stream Deck MK.2: could not read from HID device',
    });
    panel.setLamp(2, { color: 'red', pattern: 'steady' }, info); // while unplugged
    clock.advance(2000);
    await until(() => statuses.at(-1)?.detail === 'no Stream Deck (fake) is plugged in', 'the retry');
    const device = port.plug();
    clock.advance(2000);
    await until(() => panel.ready, 'reopening');
    await panel.drawn();
    expect(statuses.at(-1)?.state).toBe('connected');
    expect([device.color(0), device.color(1), device.color(2)]).toEqual(['green', 'red', 'off']);
    expect(device.images.size).toBe(15);
    const events: string[] = [];
    panel.onKey((event) => events.push(`${event.key} ${event.event}`));
    device.key(4, true);
    device.key(4, false);
    expect(events).toEqual(['5 down', '5 up']);
    await panel.close();
  });

  it('on a Neo, the keys are its eight screens; its touch points are not partner keys', async () => {
    const clock = new FakeClock();
    const port = new FakeStreamDeckPort(DeviceModelId.NEO);
    const panel = new StreamDeckPanel(board('streamdeck-neo'), port, { clock, blink: new BlinkClock(clock) });
    const events: string[] = [];
    panel.onKey((event) => events.push(`${event.key} ${event.event}`));
    panel.start();
    await until(() => panel.ready, 'opening');
    for (const control of [7, 8, 9]) {
      port.device!.key(control, true);
      port.device!.key(control, false);
    }
    expect(events).toEqual(['8 down', '8 up']);
    panel.setLamp(8, { color: 'green', pattern: 'steady' }, info);
    await panel.drawn();
    expect(port.device!.color(7)).toBe('green');
    await panel.close();
  });

  it('refuses a deck that is not the configured board, and says an absent one once', async () => {
    const wrong = setup('streamdeck-xl');
    wrong.panel.start();
    await until(() => wrong.statuses.length > 0, 'opening');
    expect(wrong.statuses).toEqual([
      {
        state: 'unusable',
        detail: 'Stream Deck MK.2 has 15 keys with screens, board "streamdeck-xl" has 32',
      },
    ]);
    expect(wrong.port.device!.closed).toBe(true);
    await wrong.panel.close();

    const absent = setup();
    absent.port.device = null;
    absent.panel.start();
    await until(() => absent.statuses.length > 0, 'looking');
    absent.clock.advance(10_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(absent.statuses).toEqual([
      { state: 'disconnected', detail: 'no Stream Deck (fake) is plugged in' },
    ]);
    await absent.panel.close();
  });
});
