/**
 * A panel of keys and LEDs on a Raspberry Pi's GPIO header (BRIEF §5), behind the panel interface.
 * Buttons close their line to ground against the internal pull-up, or sit in a row × column matrix;
 * LEDs are one line each (mono), red + green lines (bicolor: both on for amber) or red + green + blue
 * lines (rgb). Debounce, long press and blinking run in software on the injected clock.
 *
 * A line that cannot be claimed (another program holds it, no permission) makes the panel `unusable`
 * with the reason; it releases what it claimed and tries again every few seconds.
 */
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import { lampEntries, type Board, type GpioWiring, type LampLine } from '../../src/config/boards.ts';
import {
  errorText,
  HostDrivenPanel,
  type HostDrivenPanelOptions,
} from '../../src/panel/host-driven-panel.ts';
import { DEFAULT_SWITCH_TIMINGS } from '../../src/panel/key-switches.ts';
import type { KeyInfo } from '../../src/panel/panel.ts';
import { ledsFor } from '../../src/panel/software-lamps.ts';
import type { GpioInputLine, GpioLines, GpioOutputLine, Level } from './gpio-lines.ts';

const RETRY_MS = 5000;
/** While a matrix key is held, the matrix is scanned this often (its release may raise no edge). */
const MATRIX_POLL_MS = 10;

type LampOutputs = { [color in LampLine]?: GpioOutputLine };

export class GpioPanel extends HostDrivenPanel {
  private readonly wiring: GpioWiring;
  private inputs: GpioInputLine[] = [];
  private rows: GpioOutputLine[] = [];
  private outputs: LampOutputs[] = [];
  private readonly levels = new Map<GpioOutputLine, Level>();
  private matrixHeld = new Set<number>();
  private cancelPoll: () => void = () => undefined;
  private claimed = false;

  constructor(
    board: Board,
    private readonly lines: GpioLines,
    options: HostDrivenPanelOptions,
  ) {
    if (board.gpio == null) throw new Error(`board "${board.id}" has no gpio wiring in boards.json`);
    super(board, options.clock, options.blink, {
      debounceMs: board.gpio.debounceMs,
      longPressMs: options.longPressMs ?? DEFAULT_SWITCH_TIMINGS.longPressMs,
    });
    this.wiring = board.gpio;
  }

  /** Claims the lines; on failure reports `unusable` and tries again until closed. */
  start(): void {
    if (this.closed) return;
    try {
      this.claim();
      this.claimed = true;
      this.status({ state: 'connected', detail: `${this.lines.description}, ${this.keys} keys` });
      this.lamps.replay();
    } catch (error) {
      this.release();
      // GpioError says which line and why; anything else from the driver is reported the same way.
      this.status({ state: 'unusable', detail: errorText(error) });
      this.retry(RETRY_MS, () => this.start());
    }
  }

  get ready(): boolean {
    return this.claimed;
  }

  setLamp(key: number, lamp: Lamp, _info: KeyInfo): void {
    if (key < 1 || key > this.keys) return;
    this.lamps.set(key, lamp);
  }

  close(): Promise<void> {
    this.stop();
    // Dark LEDs, not the last state frozen, once lampfield is gone.
    for (const outputs of this.outputs) for (const line of Object.values(outputs)) this.write(line, false);
    this.release();
    return Promise.resolve();
  }

  private claim(): void {
    const { keys, lamps, activeLow } = this.wiring;
    const dark: Level = activeLow ? 1 : 0;
    for (const lamp of lamps) {
      const outputs: LampOutputs = {};
      this.outputs.push(outputs);
      for (const [color, line] of lampEntries(lamp)) {
        outputs[color] = this.lines.output(line, dark);
        this.levels.set(outputs[color], dark);
      }
    }
    if ('lines' in keys) {
      // A key already held (or a line shorted to ground) reports nothing until it is let go and pressed
      // again: a press is down then up, and lampfield did not see this down.
      keys.lines.forEach((line, index) => {
        this.inputs.push(this.lines.input(line, (level) => this.switches.raw(index + 1, level === 0)));
      });
    } else {
      // Rows idle low, so that any key pulls its column low and raises an edge; a scan then finds it.
      this.rows = keys.matrix.rows.map((line) => this.lines.output(line, 0));
      this.inputs = keys.matrix.columns.map((line) => this.lines.input(line, () => this.edge()));
      this.scan(true);
    }
  }

  private release(): void {
    this.cancelPoll();
    this.switches.reset();
    this.matrixHeld.clear();
    for (const line of [...this.inputs, ...this.rows, ...this.outputs.flatMap((o) => Object.values(o))]) {
      try {
        line.close();
      } catch {
        // Already released: nothing to do.
      }
    }
    this.inputs = [];
    this.rows = [];
    this.outputs = [];
    this.levels.clear();
    this.claimed = false;
  }

  protected show(key: number, lamp: Lamp, lit: boolean): void {
    const outputs = this.outputs[key - 1];
    if (outputs == null) return; // not claimed (yet): start() replays every lamp
    const leds = ledsFor(lamp, lit);
    for (const [color, line] of lampEntries(outputs)) this.write(line, leds[color]);
  }

  private write(line: GpioOutputLine, on: boolean): void {
    const level: Level = on !== this.wiring.activeLow ? 1 : 0;
    if (this.levels.get(line) === level) return;
    this.levels.set(line, level);
    line.set(level);
  }

  // --- key matrix ------------------------------------------------------------------------------------

  private edge(): void {
    if (this.matrixHeld.size === 0) this.scan();
  }

  /**
   * Drives one row low at a time (the others high) and reads the columns: a low column is a closed key
   * on that row. Afterwards every row is low again, so that the next press raises an edge. While any key
   * is held, scans repeat every MATRIX_POLL_MS, since a release next to another held key raises no edge.
   */
  private scan(initial = false): void {
    const columns = this.inputs.length;
    const held = new Set<number>();
    this.rows.forEach((row, r) => {
      this.rows.forEach((other, o) => other.set(o === r ? 0 : 1));
      this.inputs.forEach((column, c) => {
        if (column.level() === 0) held.add(r * columns + c + 1);
      });
    });
    for (const row of this.rows) row.set(0);
    // The first scan only learns what is held already, as direct lines do.
    for (let key = 1; key <= this.rows.length * columns && !initial; key++) {
      if (held.has(key) !== this.matrixHeld.has(key)) this.switches.raw(key, held.has(key));
    }
    this.matrixHeld = held;
    this.cancelPoll();
    if (held.size > 0) this.cancelPoll = this.clock.after(MATRIX_POLL_MS, () => this.scan());
  }
}
