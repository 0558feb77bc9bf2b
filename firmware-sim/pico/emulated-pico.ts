/**
 * The module's C firmware (firmware/) on an emulated Raspberry Pi Pico (rp2040js), in emulated time:
 * the flash image loaded and started from its vector table (as boot2 would, rp2040js has no bootrom);
 * UART0 bytes in at the line's pace (115 200 baud, 86.8 µs a byte) and out with when they left; the
 * WS2812 data pin read as the LED chain reads it (pulse widths, 24 bits a lamp, green first, a frame
 * ends with the line low over 50 µs); keys pressed on the 4×5 matrix as a finger would (with bounce).
 * rp2040js runs a PIO on timers of its own; here it is stepped cycle by cycle with the core's clock,
 * so that the waveform has the PIO's real timing.
 */
import { ConsoleLogger, GPIOPinState, LogLevel, Simulator } from 'rp2040js';
import { LAMP_RGB, PATTERN_TIMING, type LampColor } from '../protocol/lamp.ts';
import { HOST_LOST_TIMING, type LampSetting, type ModulePattern } from '../protocol/messages.ts';

const SYS_NANOS = 8; // 125 MHz
const BYTE_NANOS = 1e9 / (115_200 / 10); // 8N1: 10 bits a byte
const PIN_LEDS = 16;
const ROW_PINS = [2, 3, 4, 5];
/** The keys' five columns, then the page keys' two (module-160rgb; firmware/README.md's wiring). */
const COLUMN_PINS = [6, 7, 8, 9, 10, 11, 12];
const KEY_COLUMNS = 5;
const KEYS = ROW_PINS.length * KEY_COLUMNS;

/** Where switch `index` sits on the matrix: the 20 keys row by row, then the page keys row by row. */
function matrixPosition(index: number): { row: number; column: number } {
  if (index < KEYS) return { row: Math.floor(index / KEY_COLUMNS), column: index % KEY_COLUMNS };
  const pageKey = index - KEYS;
  const extra = COLUMN_PINS.length - KEY_COLUMNS;
  return { row: Math.floor(pageKey / extra), column: KEY_COLUMNS + (pageKey % extra) };
}
/** WS2812B: a 0 is high 0.4 µs, a 1 0.8 µs; the LED samples at about 0.56 µs. Reset: low ≥ 50 µs. */
const ONE_AFTER_NANOS = 562;
const RESET_NANOS = 50_000;

interface Spell {
  /** The color while lit (0xRRGGBB), 0 for dark. */
  lit: number;
  from: number;
  to: number;
}

/** The blinks a module shows (PROTOCOL.md §5.3, §6.3), by their lit and dark times. */
const BLINKS: readonly { pattern: ModulePattern; on: number; off: number }[] = [
  ...Object.entries(PATTERN_TIMING)
    .filter(([, timing]) => timing.period > 1)
    .map(([pattern, { period, on }]) => ({ pattern: pattern as ModulePattern, on, off: period - on })),
  { pattern: 'host-lost', on: HOST_LOST_TIMING.on, off: HOST_LOST_TIMING.period - HOST_LOST_TIMING.on },
];
/** Longer lit or dark than any blink's spell: steady or off. */
const LONGEST_SPELL_NANOS = Math.max(...BLINKS.map((blink) => Math.max(blink.on, blink.off))) * 1e6 + 50e6;

/** The blink whose spells are `on` and `off` ms long (to the 25 ms a 1 ms tick and rounding allow). */
function patternOf(on: number | undefined, off: number | undefined): ModulePattern | null {
  return BLINKS.find((blink) => blink.on === on && blink.off === off)?.pattern ?? null;
}

/** The first whole lit and dark spells (neither cut by the window nor still going), to 25 ms. */
function wholeSpells(spells: readonly Spell[]): { on?: number; off?: number } {
  const whole = spells.slice(1, -1).map((spell) => ({
    lit: spell.lit !== 0,
    ms: Math.round((spell.to - spell.from) / 1e6 / 25) * 25,
  }));
  const on = whole.find((spell) => spell.lit)?.ms;
  const off = whole.find((spell) => !spell.lit)?.ms;
  return { ...(on == null ? {} : { on }), ...(off == null ? {} : { off }) };
}

/** The palette color `rgb` is (PROTOCOL.md §5.2), or null. */
function colorName(rgb: number): LampColor | null {
  return (
    (Object.keys(LAMP_RGB) as LampColor[]).find(
      (color) => ((LAMP_RGB[color][0] << 16) | (LAMP_RGB[color][1] << 8) | LAMP_RGB[color][2]) === rgb,
    ) ?? null
  );
}

export interface LedFrame {
  /** Emulated time the frame was latched (ns). */
  at: number;
  /** Each lamp's color as 0xRRGGBB. */
  colors: number[];
}

/**
 * What is kept: `all` (a test or a bench reading everything afterwards) or `recent` (a module running for
 * days: no record of bytes sent, LED frames of the last few seconds, enough to tell every blink).
 */
export type History = 'all' | 'recent';
const RECENT_NANOS = 5e9;

export class EmulatedPico {
  readonly simulator = new Simulator();
  /** Bytes the firmware sent, each with the emulated time it left (ns); empty with history `recent`. */
  readonly sent: { at: number; byte: number }[] = [];
  /** Called with each byte as it leaves UART0. */
  onSent: ((byte: number, at: number) => void) | null = null;
  /** The frames the LED chain latched (with history `recent`, those of the last seconds). */
  readonly ledFrames: LedFrame[] = [];
  /** Resets by the hardware watchdog. */
  watchdogResets = 0;
  /** Emulated time the core spent running instructions (not asleep in WFI), ns. */
  busyNanos = 0;
  private readonly incoming: number[] = [];
  private nextByteAt = 0;
  private pioNanos = 0;
  private pioPending = 0;
  /** The closed switches, as "row column". */
  private readonly pressed = new Set<string>();
  private bits: number[] = [];
  private highSince: number | null = null;
  private lowSince = 0;
  constructor(
    private readonly image: Uint8Array,
    private readonly history: History = 'all',
  ) {
    const mcu = this.simulator.rp2040;
    mcu.logger = new ConsoleLogger(LogLevel.Error);
    mcu.flash.set(this.image, 0);
    const pio = mcu.pio[0]!;
    pio.run = () => undefined; // stepped here, with the core's clock
    mcu.uart[0]!.onByte = (byte) => {
      if (this.history === 'all') this.sent.push({ at: this.nanos, byte });
      this.onSent?.(byte, this.nanos);
    };
    mcu.gpio[PIN_LEDS]!.addListener((state) => this.ledPin(state === GPIOPinState.High));
    for (const pin of COLUMN_PINS) mcu.gpio[pin]!.setInputValue(true); // pulled up, no key closed
    for (const pin of ROW_PINS) mcu.gpio[pin]!.addListener(() => this.matrix());
    // §4.7: the watchdog's reset restarts the core at the image's reset handler.
    const watchdog = mcu.peripherals[0x40058] as unknown as { onWatchdogTrigger: () => void };
    watchdog.onWatchdogTrigger = () => {
      this.watchdogResets++;
      // The reset stops the watchdog until the firmware starts it again (rp2040js would fire it on and on).
      mcu.writeUint32(0x40058000, 0);
      this.start();
    };
    this.start();
  }

  get nanos(): number {
    return this.simulator.clock.nanos;
  }

  get millis(): number {
    return this.nanos / 1e6;
  }

  /** The baud rate UART0 is set to (from its divisors and clk_peri). */
  get baudRate(): number {
    return this.simulator.rp2040.uart[0]!.baudRate;
  }

  /**
   * Bytes a host sends at `hostBaud` as this UART reads them at its own rate: each byte's bits (start,
   * 8 data bits from the lowest, stop) sampled at the middle of this UART's bit times, from each start
   * bit's falling edge; a byte whose stop bit reads low is lost (a framing error). Returns what it read.
   */
  receiveAtBaud(bytes: Uint8Array, hostBaud: number): Uint8Array {
    const line: boolean[] = [];
    const samplesPerHostBit = 64;
    for (const byte of bytes) {
      const bits = [false, ...Array.from({ length: 8 }, (_, i) => ((byte >> i) & 1) === 1), true];
      for (const bit of bits) for (let i = 0; i < samplesPerHostBit; i++) line.push(bit);
    }
    for (let i = 0; i < samplesPerHostBit * 2; i++) line.push(true);
    const perOwnBit = (samplesPerHostBit * hostBaud) / this.baudRate;
    const read: number[] = [];
    let at = 0;
    while (at < line.length) {
      if (line[at]) {
        at++;
        continue;
      }
      const sample = (bit: number) => line[Math.floor(at + (bit + 0.5) * perOwnBit)] ?? true;
      let value = 0;
      for (let bit = 0; bit < 8; bit++) if (sample(1 + bit)) value |= 1 << bit;
      if (sample(9)) read.push(value);
      at = Math.floor(at + 9.5 * perOwnBit);
    }
    this.receive(Uint8Array.from(read));
    return Uint8Array.from(read);
  }

  /** Bytes from the host, to arrive one after the other at the line's pace. */
  receive(bytes: Uint8Array): void {
    this.incoming.push(...bytes);
  }

  /**
   * Closes (true) or opens switch `index` (the keys 0..19 row by row, then a board's page keys), with
   * contact bounce for `bounceMs`.
   */
  key(index: number, closed: boolean, bounceMs = 0): void {
    const flips = bounceMs > 0 ? 4 : 0;
    for (let i = 0; i < flips; i++) {
      const flip = i % 2 === 0 ? closed : !closed;
      this.after((bounceMs * i) / flips, () => this.setKey(index, flip));
    }
    this.after(bounceMs, () => this.setKey(index, closed));
  }

  /** The lamps now, as the LED chain last latched them (0xRRGGBB each); empty before the first frame. */
  get lamps(): number[] {
    return this.ledFrames.at(-1)?.colors ?? [];
  }

  /**
   * Makes the firmware hang as a bug would: its tick interrupt (TIMER_0, IRQ 0) disabled at the NVIC
   * (ICER, ARMv6-M B3.4), so that its main loop sleeps for good and stops feeding the watchdog.
   */
  hang(): void {
    this.simulator.rp2040.writeUint32(0xe000e180, 1 << 0);
  }

  /**
   * What key `index`'s lamp did over the last `windowMs` of emulated time, as a person would say it: its
   * palette color while lit and its pattern from the whole lit and dark spells (PROTOCOL.md §5.3).
   */
  seen(index: number, windowMs = 2100): { color: string; pattern: string } {
    const spells = this.spells(index, windowMs);
    const lit = new Set(spells.filter((spell) => spell.lit !== 0).map((spell) => spell.lit));
    if (lit.size === 0) return { color: 'off', pattern: 'off' };
    const color = [...lit].map((rgb) => colorName(rgb) ?? `#${rgb.toString(16)}`).join('+');
    if (spells.length === 1) return { color, pattern: 'steady' };
    const { on, off } = wholeSpells(spells);
    return { color, pattern: patternOf(on, off) ?? `unknown ${on}/${off} ms` };
  }

  /**
   * The lamp key `index` shows now, as a person glancing at it would name it: off or steady once its
   * light has not changed for longer than any blink's spell; else the blink its last whole spells make,
   * in the color it last lit; null while that cannot be told yet (a blink just begun) or the color is none
   * of the palette's.
   */
  lampNow(index: number): LampSetting | null {
    const spells = this.spells(index, 2100);
    const current = spells.at(-1);
    if (current == null) return { color: 'off', pattern: 'off' };
    const lastLit = [...spells].reverse().find((spell) => spell.lit !== 0)?.lit;
    const color = lastLit == null ? null : colorName(lastLit);
    if (current.to - current.from > LONGEST_SPELL_NANOS || spells.length === 1) {
      if (current.lit === 0) return { color: 'off', pattern: 'off' };
      return color == null ? null : { color, pattern: 'steady' };
    }
    const { on, off } = wholeSpells(spells);
    const pattern = patternOf(on, off);
    return pattern == null || color == null ? null : { color, pattern };
  }

  /** Key `index`'s lit (its color) and dark (0) spells over the last `windowMs`, the first cut by the window. */
  private spells(index: number, windowMs: number): Spell[] {
    const end = this.nanos;
    const start = end - windowMs * 1e6;
    const frames = this.ledFrames;
    let at = frames.length - 1;
    while (at > 0 && frames[at]!.at > start) at--;
    const spells: Spell[] = [];
    for (let i = Math.max(0, at); i < frames.length; i++) {
      const color = frames[i]!.colors[index] ?? 0;
      const from = Math.max(start, frames[i]!.at);
      const last = spells.at(-1);
      // Frames come whenever any lamp changes: one that leaves this lamp as it was goes on its spell.
      if (last != null && last.lit === color) continue;
      if (last != null) last.to = from;
      spells.push({ lit: color, from, to: end });
    }
    return spells;
  }

  /** Runs the firmware for `ms` of emulated time. */
  run(ms: number): void {
    const until = this.nanos + ms * 1e6;
    const { rp2040: mcu, clock } = this.simulator;
    while (clock.nanos < until) {
      this.fire();
      if (this.incoming.length > 0 && clock.nanos >= this.nextByteAt) {
        mcu.uart[0]!.feedByte(this.incoming.shift()!);
        this.nextByteAt = clock.nanos + BYTE_NANOS;
      }
      if (mcu.core.waiting) {
        const next = Math.min(
          clock.nanosToNextAlarm > 0 ? clock.nanosToNextAlarm : 1000,
          this.incoming.length > 0 ? Math.max(SYS_NANOS, this.nextByteAt - clock.nanos) : Infinity,
          this.timers.length > 0 ? Math.max(SYS_NANOS, this.timers[0]!.at - clock.nanos) : Infinity,
          until - clock.nanos,
        );
        clock.tick(next);
      } else {
        const spent = mcu.core.executeInstruction() * SYS_NANOS;
        this.busyNanos += spent;
        clock.tick(spent);
      }
      this.stepPio();
    }
  }

  // --- the emulated board -------------------------------------------------------------------------

  /** Starts the core at the image's reset handler, as boot2 vectors into it (§2.8.1). */
  private start(): void {
    const { core } = this.simulator.rp2040;
    const table = new DataView(this.image.buffer, this.image.byteOffset + 0x100, 8);
    core.reset();
    core.waiting = false; // a core asleep in WFI when the reset came
    core.VTOR = 0x10000100;
    core.SP = table.getUint32(0, true);
    core.PC = table.getUint32(4, true) & ~1;
  }

  private timers: { at: number; fire: () => void }[] = [];

  private after(ms: number, fire: () => void): void {
    this.timers.push({ at: this.nanos + ms * 1e6, fire });
    this.timers.sort((a, b) => a.at - b.at);
  }

  private fire(): void {
    while (this.timers.length > 0 && this.timers[0]!.at <= this.nanos) this.timers.shift()!.fire();
  }

  private setKey(index: number, closed: boolean): void {
    const { row, column } = matrixPosition(index);
    if (closed) this.pressed.add(`${row} ${column}`);
    else this.pressed.delete(`${row} ${column}`);
    this.matrix();
  }

  /** A closed key joins its column to its row: the column reads low while the firmware drives that row low. */
  private matrix(): void {
    const { gpio } = this.simulator.rp2040;
    COLUMN_PINS.forEach((column, c) => {
      const low = ROW_PINS.some(
        (row, r) => this.pressed.has(`${r} ${c}`) && gpio[row]!.value === GPIOPinState.Low,
      );
      gpio[column]!.setInputValue(!low);
    });
  }

  /** Steps PIO0's state machine 0 to the core's time, one PIO cycle at a time (its delays included). */
  private stepPio(): void {
    const pio = this.simulator.rp2040.pio[0]!;
    const machine = pio.machines[0]!;
    const period = SYS_NANOS * (machine.clockDivInt + machine.clockDivFrac / 256);
    while (this.pioNanos + period <= this.nanos) {
      // Stalled on an empty FIFO with nothing left to shift: only the core can wake it.
      if (!machine.enabled || (machine.waiting && machine.txFIFO.empty && this.pioPending === 0)) {
        this.pioNanos = this.nanos;
        this.ledPin(null);
        return;
      }
      this.pioNanos += period;
      if (this.pioPending > 0) {
        this.pioPending--;
        continue;
      }
      const before = machine.cycles;
      machine.step();
      pio.checkChangedPins();
      this.pioPending = Math.max(0, machine.cycles - before - 1);
    }
    this.ledPin(null);
  }

  /** The data line as the first LED reads it: a bit per high pulse; a long low latches a frame. */
  private ledPin(high: boolean | null): void {
    const at = this.pioNanos;
    if (high === true && this.highSince == null) {
      this.highSince = at;
      return;
    }
    if (high === false && this.highSince != null) {
      this.bits.push(at - this.highSince > ONE_AFTER_NANOS ? 1 : 0);
      this.highSince = null;
      this.lowSince = at;
      return;
    }
    if (
      high === null &&
      this.highSince == null &&
      this.bits.length > 0 &&
      at - this.lowSince >= RESET_NANOS
    ) {
      const colors: number[] = [];
      for (let i = 0; i + 24 <= this.bits.length; i += 24) {
        const grb = this.bits.slice(i, i + 24).reduce((value, bit) => (value << 1) | bit, 0);
        colors.push(((grb & 0x00ff00) << 8) | ((grb & 0xff0000) >> 8) | (grb & 0xff));
      }
      this.ledFrames.push({ at: this.lowSince, colors });
      this.bits = [];
      if (this.history === 'recent') {
        const old = this.ledFrames.findIndex((frame) => frame.at > at - RECENT_NANOS);
        if (old > 1) this.ledFrames.splice(0, old - 1); // the frame lit before them is kept
      }
    }
  }
}
