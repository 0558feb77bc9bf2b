/**
 * The GPIO lines a GPIO panel uses, whatever drives them: the GPIO character device on a Raspberry Pi
 * (gpiox-lines.ts) or fake lines in tests (fake-gpio-lines.ts). Lines are BCM numbers (GPIO2…GPIO27),
 * which name the same header pins on every Pi; on a Pi 5 and on kernels from 6.6 the sysfs numbers
 * changed, the character device's did not (BRIEF §5).
 */
import { UserError } from '../../src/util/user-error.ts';

export type Level = 0 | 1;

export interface GpioInputLine {
  /** The level now. */
  level(): Level;
  close(): void;
}

export interface GpioOutputLine {
  set(level: Level): void;
  close(): void;
}

export interface GpioLines {
  /** What drives the lines, for logs and `lampfield doctor`. */
  readonly description: string;
  /**
   * Claims `line` as an input with the internal pull-up on, and calls `changed` on every edge (both
   * directions). Throws GpioError when the line cannot be had (in use, no permission, no such line).
   */
  input(line: number, changed: (level: Level) => void): GpioInputLine;
  /** Claims `line` as an output at `level`. Throws GpioError as `input` does. */
  output(line: number, level: Level): GpioOutputLine;
}

export type GpioErrorCode =
  /** Another program holds the line. */
  | 'busy'
  /** The line could not be claimed for another reason (no permission, no such line). */
  | 'claim-failed'
  /** A line set after it was given back. */
  | 'released'
  /** No GPIO driver here (not a Pi, @iiot2k/gpiox not installed). */
  | 'no-driver';

export class GpioError extends UserError<GpioErrorCode> {
  override readonly name = 'GpioError';
}
