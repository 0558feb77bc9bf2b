/**
 * A GPIO board on the bench, for tests: a GpioPanel on fake lines wired as boards.json says, with a
 * finger that presses keys (a switch to ground, or a row-to-column switch in a matrix) and eyes that read
 * each key's LEDs, all on a fake clock.
 */
import { FakeGpioLines } from '../../hw/gpio/fake-gpio-lines.ts';
import { GpioPanel } from '../../hw/gpio/gpio-panel.ts';
import type { Board } from '../../src/config/boards.ts';
import { BlinkClock } from '../../src/panel/blink-clock.ts';
import type { Clock } from '../../src/util/clock.ts';
import { FakeClock } from './fake-clock.ts';

export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class GpioBench {
  readonly clock = new FakeClock();
  readonly lines = new FakeGpioLines();
  readonly panel: GpioPanel;

  /** On the bench's fake clock, or on `clock` (real time) for a run of the whole product. */
  constructor(
    readonly board: Board,
    clock?: Clock,
  ) {
    const panelClock = clock ?? this.clock;
    this.panel = new GpioPanel(board, this.lines, { clock: panelClock, blink: new BlinkClock(panelClock) });
  }

  /** Closes or opens `key`'s switch, then lets the edge arrive. */
  async hold(key: number, closed: boolean): Promise<void> {
    const keys = this.board.gpio!.keys;
    if ('lines' in keys) this.lines.setSwitch(keys.lines[key - 1]!, 'ground', closed);
    else {
      const { rows, columns } = keys.matrix;
      const index = key - 1;
      this.lines.setSwitch(
        columns[index % columns.length]!,
        rows[Math.floor(index / columns.length)]!,
        closed,
      );
    }
    await nextTurn();
  }

  /** Moves time on in small steps, letting edges arrive in between. */
  async wait(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 5) {
      this.clock.advance(Math.min(5, ms - t));
      await nextTurn();
    }
  }

  async press(key: number, holdMs: number): Promise<void> {
    await this.hold(key, true);
    await this.wait(holdMs);
    await this.hold(key, false);
    await this.wait(50);
  }

  /** What `key`'s LEDs show now: a color name for color LEDs, 'on' for a single LED, 'off' when dark. */
  color(key: number): string {
    const lamp = this.board.gpio!.lamps[key - 1]!;
    const on = (line: number | undefined) =>
      line != null && this.lines.outputLevel(line) === (this.board.gpio!.activeLow ? 0 : 1);
    if (lamp.on != null) return on(lamp.on) ? 'on' : 'off';
    const lit = [on(lamp.red) && 'red', on(lamp.green) && 'green', on(lamp.blue) && 'blue'].filter(Boolean);
    const names: Record<string, string> = {
      red: 'red',
      green: 'green',
      blue: 'blue',
      'red+green': 'amber',
      'green+blue': 'cyan',
      'red+blue': 'magenta',
      'red+green+blue': 'white',
    };
    return lit.length === 0 ? 'off' : (names[lit.join('+')] ?? lit.join('+'));
  }
}
