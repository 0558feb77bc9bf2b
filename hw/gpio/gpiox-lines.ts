/**
 * GPIO lines on the GPIO character device through @iiot2k/gpiox (an optional dependency, built for
 * Linux on arm and arm64 only). It opens the Pi's header chip itself, which is gpiochip0 on most Pis and
 * gpiochip4 on a Pi 5 with older kernels, and takes BCM numbers 2…27, so one board entry fits every Pi.
 * Debounce and long press stay in lampfield (src/panel/key-switches.ts), on its injected clock.
 */
import { createRequire } from 'node:module';
import {
  GpioError,
  type GpioInputLine,
  type GpioLines,
  type GpioOutputLine,
  type Level,
} from './gpio-lines.ts';

/** The part of @iiot2k/gpiox's API (its API.md) that lampfield uses. */
export interface Gpiox {
  GPIO_MODE_INPUT_PULLUP: number;
  GPIO_MODE_OUTPUT: number;
  GPIO_EDGE_BOTH: number;
  watch_gpio(
    pin: number,
    mode: number,
    debounceUs: number,
    edge: number,
    callback: (state: number) => void,
  ): number | undefined;
  init_gpio(pin: number, mode: number, value: number): boolean;
  set_gpio(pin: number, value: number): boolean;
  get_gpio_num(pin: number): number | undefined;
  deinit_gpio(pin: number): boolean;
  error_text(): string;
}

/** Loads the backend, or says in one line why it cannot be had here. */
export function loadGpiox(): Gpiox | string {
  try {
    const gpiox = createRequire(import.meta.url)('@iiot2k/gpiox') as Partial<Gpiox>;
    if (typeof gpiox.watch_gpio !== 'function')
      return `@iiot2k/gpiox has no driver for ${process.platform} ${process.arch}: GPIO panels run on a Raspberry Pi (Linux, arm or arm64)`;
    return gpiox as Gpiox;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'MODULE_NOT_FOUND')
      return `@iiot2k/gpiox is not installed: npm installs it only on Linux on arm or arm64 (a Raspberry Pi), and this is ${process.platform} ${process.arch}`;
    return `@iiot2k/gpiox did not load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
}

export class GpioxLines implements GpioLines {
  readonly description = 'GPIO character device (@iiot2k/gpiox)';

  constructor(private readonly gpiox: Gpiox) {}

  input(line: number, changed: (level: Level) => void): GpioInputLine {
    const { gpiox } = this;
    const level = gpiox.watch_gpio(line, gpiox.GPIO_MODE_INPUT_PULLUP, 0, gpiox.GPIO_EDGE_BOTH, (state) =>
      changed(state === 0 ? 0 : 1),
    );
    if (level === undefined) throw this.failure(line);
    return {
      level: () => (gpiox.get_gpio_num(line) === 0 ? 0 : 1),
      close: () => void gpiox.deinit_gpio(line),
    };
  }

  output(line: number, level: Level): GpioOutputLine {
    const { gpiox } = this;
    if (!gpiox.init_gpio(line, gpiox.GPIO_MODE_OUTPUT, level)) throw this.failure(line);
    return {
      set: (next) => void gpiox.set_gpio(line, next),
      close: () => void gpiox.deinit_gpio(line),
    };
  }

  private failure(line: number): GpioError {
    const why = this.gpiox.error_text();
    const busy = /busy/i.test(why);
    return new GpioError(
      busy ? 'busy' : 'claim-failed',
      `GPIO${line}: ${why || 'cannot be claimed'}${busy ? ' (another program holds it: `gpioinfo` shows which)' : ''}`,
    );
  }
}
