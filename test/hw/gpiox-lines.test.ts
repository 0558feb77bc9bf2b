/**
 * The GPIO character-device backend's adapter (gpiox-lines.ts) over a stand-in for @iiot2k/gpiox's native
 * API, as its API.md describes it (the addon runs only on a Pi): the pull-up inputs watched on both edges,
 * outputs, the library's error text for a busy line, and every line let go on close.
 */
import { describe, expect, it } from 'vitest';
import { GpioPanel } from '../../hw/gpio/gpio-panel.ts';
import { GpioError } from '../../hw/gpio/gpio-lines.ts';
import { GpioxLines, type Gpiox } from '../../hw/gpio/gpiox-lines.ts';
import { loadBoards } from '../../src/config/boards.ts';
import { BlinkClock } from '../../src/panel/blink-clock.ts';
import type { PanelStatus } from '../../src/panel/panel.ts';
import { FakeClock } from '../support/fake-clock.ts';

/** @iiot2k/gpiox as API.md has it: pins 2..27, false/undefined on error and the reason in error_text(). */
class StandInGpiox implements Gpiox {
  readonly GPIO_MODE_INPUT_PULLUP = 2;
  readonly GPIO_MODE_OUTPUT = 3;
  readonly GPIO_EDGE_BOTH = 2;
  readonly busy = new Set<number>();
  readonly watched = new Map<number, { mode: number; edge: number; callback: (state: number) => void }>();
  readonly outputs = new Map<number, number>();
  private error = '';

  watch_gpio(
    pin: number,
    mode: number,
    _debounceUs: number,
    edge: number,
    callback: (state: number) => void,
  ) {
    if (!this.claim(pin)) return undefined;
    this.watched.set(pin, { mode, edge, callback });
    return 1;
  }
  init_gpio(pin: number, mode: number, value: number): boolean {
    if (mode !== this.GPIO_MODE_OUTPUT || !this.claim(pin)) return false;
    this.outputs.set(pin, value);
    return true;
  }
  set_gpio(pin: number, value: number): boolean {
    this.outputs.set(pin, value);
    return true;
  }
  get_gpio_num(pin: number): number | undefined {
    return this.outputs.get(pin) ?? 1;
  }
  deinit_gpio(pin: number): boolean {
    return this.watched.delete(pin) || this.outputs.delete(pin);
  }
  error_text(): string {
    return this.error;
  }
  private claim(pin: number): boolean {
    if (this.busy.has(pin)) this.error = 'Device or resource busy';
    else if (this.watched.has(pin) || this.outputs.has(pin)) this.error = 'pin already initialized';
    else return true;
    return false;
  }
}

const board = loadBoards().find((candidate) => candidate.id === 'gpio-8-bicolor')!;

describe('GPIO character device backend (@iiot2k/gpiox)', () => {
  it('watches each key with the pull-up on both edges, drives the LEDs, and lets every line go', async () => {
    const gpiox = new StandInGpiox();
    const clock = new FakeClock();
    const panel = new GpioPanel(board, new GpioxLines(gpiox), { clock, blink: new BlinkClock(clock) });
    const events: string[] = [];
    panel.onKey((event) => events.push(`${event.key} ${event.event}`));
    panel.start();
    expect(gpiox.watched.get(17)).toMatchObject({
      mode: gpiox.GPIO_MODE_INPUT_PULLUP,
      edge: gpiox.GPIO_EDGE_BOTH,
    });
    gpiox.watched.get(17)!.callback(0); // key 2 pressed: its line pulled to ground
    clock.advance(100);
    gpiox.watched.get(17)!.callback(1);
    clock.advance(100);
    expect(events).toEqual(['2 down', '2 up']);
    panel.setLamp(
      2,
      { color: 'amber', pattern: 'steady' },
      { partner: 'p', state: 'held', label: null, caller: null },
    );
    expect([gpiox.outputs.get(21), gpiox.outputs.get(15)]).toEqual([1, 1]); // key 2: red 21, green 15
    await panel.close();
    expect(gpiox.watched.size + gpiox.outputs.size).toBe(0);
  });

  it('a line another program holds: the library says why, and the panel is unusable, not dead', () => {
    const gpiox = new StandInGpiox();
    gpiox.busy.add(22);
    const clock = new FakeClock();
    const panel = new GpioPanel(board, new GpioxLines(gpiox), { clock, blink: new BlinkClock(clock) });
    const statuses: PanelStatus[] = [];
    panel.onStatus((status) => statuses.push(status));
    panel.start();
    expect(statuses).toEqual([
      {
        state: 'unusable',
        detail: 'GPIO22: Device or resource busy (another program holds it: `gpioinfo` shows which)',
      },
    ]);
    expect(gpiox.watched.size + gpiox.outputs.size).toBe(0);
  });

  it('refuses a line it cannot claim with a GpioError whose code says why', () => {
    const gpiox = new StandInGpiox();
    gpiox.busy.add(22);
    const lines = new GpioxLines(gpiox);
    expect(() => lines.input(22, () => {})).toThrow(expect.objectContaining({ code: 'busy' }) as Error);
    lines.output(23, 0);
    expect(() => lines.output(23, 0)).toThrow(expect.objectContaining({ code: 'claim-failed' }) as Error);
    expect(() => lines.input(22, () => {})).toThrow(GpioError);
  });
});
