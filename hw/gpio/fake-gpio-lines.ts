/**
 * GPIO lines in memory, wired like a real board, for tests (the hardware boundary; BRIEF §5): a switch
 * joins an input line to ground or to another line, and an input reads low when a closed switch leads to
 * ground or to an output driven low, as the internal pull-up and the wiring would make it. Edges reach
 * the driver a moment later, as the kernel's events do. A line can be marked as in use by another
 * program.
 */
import {
  GpioError,
  type GpioInputLine,
  type GpioLines,
  type GpioOutputLine,
  type Level,
} from './gpio-lines.ts';

export class FakeGpioLines implements GpioLines {
  readonly description = 'fake GPIO lines';
  /** Every level written to each output line, in order. */
  readonly writes = new Map<number, Level[]>();
  /** Lines another program holds. */
  readonly busy = new Set<number>();
  private readonly outputs = new Map<number, Level>();
  private readonly inputs = new Map<number, { level: Level; changed: (level: Level) => void }>();
  private readonly switches = new Set<string>();

  input(line: number, changed: (level: Level) => void): GpioInputLine {
    this.claim(line);
    const entry = { level: 1 as Level, changed };
    this.inputs.set(line, entry);
    entry.level = this.wiredLevel(line);
    return {
      level: () => entry.level,
      close: () => void this.inputs.delete(line),
    };
  }

  output(line: number, level: Level): GpioOutputLine {
    this.claim(line);
    this.outputs.set(line, level);
    this.writes.set(line, [level]);
    this.settle();
    return {
      set: (next) => {
        if (!this.outputs.has(line)) throw new GpioError('released', `GPIO${line} was released`);
        this.outputs.set(line, next);
        this.writes.get(line)!.push(next);
        this.settle();
      },
      close: () => void this.outputs.delete(line),
    };
  }

  /** The level an output line is driven to now (undefined when not claimed). */
  outputLevel(line: number): Level | undefined {
    return this.outputs.get(line);
  }

  get claimed(): number {
    return this.inputs.size + this.outputs.size;
  }

  /** Closes (or opens) a switch between `line` and ground or another line. */
  setSwitch(line: number, to: number | 'ground', closed: boolean): void {
    const key = `${line}-${to}`;
    if (closed) this.switches.add(key);
    else this.switches.delete(key);
    this.settle();
  }

  private claim(line: number): void {
    if (this.busy.has(line) || this.inputs.has(line) || this.outputs.has(line))
      throw new GpioError('busy', `GPIO${line} is in use by another program (Device or resource busy)`);
  }

  private wiredLevel(line: number): Level {
    for (const key of this.switches) {
      const [from, to] = key.split('-');
      const other = from === String(line) ? to : to === String(line) ? from : null;
      if (other == null) continue;
      if (other === 'ground' || this.outputs.get(Number(other)) === 0) return 0;
    }
    return 1;
  }

  /** Recomputes every input; an input that changed reports its edge in a moment (a microtask). */
  private settle(): void {
    for (const entry of this.inputs.entries()) {
      const [line, input] = entry;
      const level = this.wiredLevel(line);
      if (level === input.level) continue;
      input.level = level;
      queueMicrotask(() => {
        if (this.inputs.get(line) === input) input.changed(level);
      });
    }
  }
}
