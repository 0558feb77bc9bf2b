/**
 * The GPIO panel on fake lines wired as boards.json says (test/support/gpio-bench.ts): what a person sees
 * on the LEDs for every state the core decides, what a press gives the key-action layer, chattering
 * switches, the key matrix, a line held by another program, and what is left lit on exit.
 */
import { describe, expect, it } from 'vitest';
import { GestureTracker, keyAction } from '../../src/blf/key-actions.ts';
import { DEFAULT_LAMPS, lampFor, LAMP_SITUATIONS, type LampSituation } from '../../src/blf/lamp-policy.ts';
import { loadBoards, parseBoards } from '../../src/config/boards.ts';
import type { PanelKeyEvent, PanelStatus } from '../../src/panel/panel.ts';
import { GpioBench } from '../support/gpio-bench.ts';
import { watchKey } from '../support/lamp-observer.ts';

const boards = loadBoards();
const board = (id: string) => boards.find((candidate) => candidate.id === id)!;
const info = { partner: 'sip:207@pbx', state: 'idle' as const, label: 'Anna', caller: null };

/** BRIEF §3, as a person sees it on a red/green LED and on a single LED. */
const SEEN: Record<LampSituation, { bicolor: string; mono: string }> = {
  ringing: { bicolor: 'red fast-blink', mono: 'on fast-blink' },
  busy: { bicolor: 'red steady', mono: 'on steady' },
  calling: { bicolor: 'red slow-blink', mono: 'on steady' },
  held: { bicolor: 'amber slow-blink', mono: 'on slow-blink' },
  idle: { bicolor: 'green steady', mono: 'off off' },
  offline: { bicolor: 'amber steady', mono: 'off off' },
  unknown: { bicolor: 'off off', mono: 'off off' },
  refused: { bicolor: 'amber flash', mono: 'on flash' },
  error: { bicolor: 'red flash', mono: 'on flash' },
};

describe('GPIO panel', () => {
  for (const [id, kind] of [
    ['gpio-8-bicolor', 'bicolor'],
    ['gpio-16-mono', 'mono'],
  ] as const) {
    it(`shows every lamp the core decides as ${id} can (amber from red + green, idle dark on mono)`, async () => {
      const bench = new GpioBench(board(id));
      bench.panel.start();
      for (const situation of LAMP_SITUATIONS) {
        bench.panel.setLamp(2, lampFor(situation, DEFAULT_LAMPS, kind), info);
        const seen = await watchKey(bench.clock, () => bench.color(2));
        expect(`${seen.color} ${seen.pattern}`, situation).toBe(SEEN[situation][kind]);
      }
      await bench.panel.close();
    });

    it(`${id}: a press reaches the key-action layer with its key and gesture`, async () => {
      const bench = new GpioBench(board(id));
      const tracker = new GestureTracker();
      const actions: string[] = [];
      bench.panel.onKey((event) => {
        const gesture = tracker.event(event.key, event.event);
        if (gesture != null) actions.push(`${event.key} ${gesture} ${keyAction('ringing', gesture).kind}`);
      });
      bench.panel.start();
      await bench.press(7, 80);
      await bench.press(3, 900);
      expect(actions).toEqual(['7 short pickup', '3 long dial']);
      await bench.panel.close();
    });
  }

  it('lights RGB lines: amber from red + green, white from all three', async () => {
    const [rgb] = parseBoards(
      JSON.stringify({
        boards: [
          {
            id: 'gpio-2-rgb',
            name: 'two RGB keys',
            driver: 'gpio',
            grid: { rows: 1, columns: 2 },
            lamp: { kind: 'rgb' },
            labels: { kind: 'none' },
            gpio: {
              keys: { lines: [4, 17] },
              lamps: [
                { red: 5, green: 6, blue: 13 },
                { red: 19, green: 26, blue: 21 },
              ],
            },
          },
        ],
      }),
      'boards.json',
    );
    const bench = new GpioBench(rgb!);
    bench.panel.start();
    const seen: string[] = [];
    for (const situation of ['ringing', 'held', 'idle'] as const) {
      bench.panel.setLamp(2, lampFor(situation, DEFAULT_LAMPS, 'rgb'), info);
      const { color, pattern } = await watchKey(bench.clock, () => bench.color(2));
      seen.push(`${color} ${pattern}`);
    }
    bench.panel.setLamp(2, { color: 'white', pattern: 'steady' }, info);
    expect([...seen, bench.color(2)]).toEqual([
      'red fast-blink',
      'amber slow-blink',
      'green steady',
      'white',
    ]);
    expect(bench.color(1)).toBe('off');
  });

  it('blinks keys in phase on the shared clock, whenever each began to blink', async () => {
    const bench = new GpioBench(board('gpio-8-bicolor'));
    bench.panel.start();
    const ringing = lampFor('ringing', DEFAULT_LAMPS, 'bicolor');
    bench.panel.setLamp(1, ringing, info);
    await bench.wait(60); // mid-phase
    bench.panel.setLamp(5, ringing, info);
    const pairs: string[] = [];
    for (let t = 0; t < 1000; t += 5) {
      pairs.push(`${bench.color(1)}/${bench.color(5)}`);
      await bench.wait(5);
    }
    expect(new Set(pairs)).toEqual(new Set(['red/red', 'off/off']));
  });

  it('debounces a chattering switch into one press', async () => {
    const bench = new GpioBench(board('gpio-8-bicolor'));
    const events: PanelKeyEvent[] = [];
    bench.panel.onKey((event) => events.push(event));
    bench.panel.start();
    for (const closed of [true, false, true, false, true]) {
      await bench.hold(4, closed);
      await bench.wait(3);
    }
    await bench.wait(100);
    for (const closed of [false, true, false]) {
      await bench.hold(4, closed);
      await bench.wait(2);
    }
    await bench.wait(100);
    expect(events).toEqual([
      { key: 4, event: 'down' },
      { key: 4, event: 'up' },
    ]);
  });

  it('a key held (or shorted) at start reports nothing until it is pressed again', async () => {
    for (const id of ['gpio-8-bicolor', 'gpio-16-mono']) {
      const bench = new GpioBench(board(id));
      const events: string[] = [];
      bench.panel.onKey((event) => events.push(`${event.key} ${event.event}`));
      await bench.hold(3, true);
      bench.panel.start();
      await bench.wait(1000);
      await bench.hold(3, false);
      await bench.wait(100);
      expect(events, id).toEqual([]);
      await bench.press(3, 100);
      expect(events, id).toEqual(['3 down', '3 up']);
      await bench.panel.close();
    }
  });

  it('reads two keys held at once on one matrix column, and each release', async () => {
    const bench = new GpioBench(board('gpio-16-mono'));
    const events: string[] = [];
    bench.panel.onKey((event) => events.push(`${event.key} ${event.event}`));
    bench.panel.start();
    // Keys 2 and 6 share column 2 (rows 1 and 2 of a 4 × 4 matrix).
    await bench.hold(2, true);
    await bench.wait(50);
    await bench.hold(6, true);
    await bench.wait(50);
    await bench.hold(2, false);
    await bench.wait(50);
    await bench.hold(6, false);
    await bench.wait(50);
    expect(events).toEqual(['2 down', '6 down', '2 up', '6 up']);
  });

  it('says which line another program holds, claims nothing, and starts once it is free', async () => {
    const bench = new GpioBench(board('gpio-8-bicolor'));
    const statuses: PanelStatus[] = [];
    bench.panel.onStatus((status) => statuses.push(status));
    bench.lines.busy.add(17);
    bench.panel.setLamp(1, { color: 'green', pattern: 'steady' }, info);
    expect(() => bench.panel.start()).not.toThrow();
    expect(statuses).toEqual([
      { state: 'unusable', detail: 'GPIO17 is in use by another program (Device or resource busy)' },
    ]);
    expect(bench.lines.claimed).toBe(0);
    bench.lines.busy.delete(17);
    await bench.wait(5000);
    expect(statuses.at(-1)?.state).toBe('connected');
    expect(bench.color(1)).toBe('green');
  });

  it('drives common-anode LEDs low, and leaves every LED dark on exit', async () => {
    const wired = board('gpio-8-bicolor');
    const bench = new GpioBench({ ...wired, gpio: { ...wired.gpio!, activeLow: true } });
    bench.panel.start();
    bench.panel.setLamp(1, { color: 'red', pattern: 'steady' }, info);
    const { red, green } = wired.gpio!.lamps[0]!;
    expect([bench.lines.outputLevel(red!), bench.lines.outputLevel(green!)]).toEqual([0, 1]);
    expect(bench.color(1)).toBe('red');
    await bench.panel.close();
    expect(bench.lines.writes.get(red!)?.at(-1)).toBe(1);
    expect(bench.lines.claimed).toBe(0);
  });
});
