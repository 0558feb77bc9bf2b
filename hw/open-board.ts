/**
 * The board the config names: the composition root's one choice of hardware (BRIEF §5). Every driver
 * behind the panel interface; the software-blinking ones (GPIO, Stream Deck, HID keypads) share one blink
 * clock, so all keys blink in phase. A driver whose hardware is missing or busy does not stop lampfield:
 * it reports `disconnected` or `unusable` with the reason (logged) and keeps trying. Drivers load only
 * when their board is chosen: the Stream Deck's image drawing and node-hid cost ~25 MB that the console
 * and the module do not need.
 */
import type { Readable } from 'node:stream';
import type { Config } from '../src/config/config.ts';
import { BlinkClock } from '../src/panel/blink-clock.ts';
import { ConsoleBoard } from '../src/panel/console-board.ts';
import type { PanelDevice } from '../src/panel/panel.ts';
import type { Clock } from '../src/util/clock.ts';
import type { Logger } from '../src/util/log.ts';
import type { GpioLines } from './gpio/gpio-lines.ts';
import { SerialModulePanel } from './serial/serial-module-panel.ts';

/** Where the console board writes its lines and reads its key commands. */
export interface Terminal {
  /** One line (the newline is added). */
  write(line: string): void;
  input?: Readable;
  /** A person's screen (a TTY), where a view may keep lines in place; absent when output is kept (a pipe, a file). */
  screen?: Screen;
}

/** A terminal a person looks at (a TTY). */
export interface Screen {
  /** Text as is: no newline added (control sequences move the cursor). */
  write(text: string): void;
  size(): { columns: number; rows: number };
  /** Calls `listener` when the terminal is resized; returns how to stop. */
  onResize(listener: () => void): () => void;
  /** Whether the terminal shows colors (ANSI SGR). */
  colors: boolean;
}

export async function openBoard(
  config: Pick<Config, 'board' | 'panel'>,
  terminal: Terminal,
  log: Logger,
  clock: Clock,
): Promise<PanelDevice> {
  const board = config.board;
  const blink = new BlinkClock(clock);
  let panel: PanelDevice & { start?: () => void };
  switch (board.driver) {
    case 'console':
      panel = new ConsoleBoard(
        board,
        (line) => terminal.write(line),
        terminal.input,
        (line) => log.warn(line),
      );
      break;
    case 'serial':
      // The config loader refuses a serial board without panel.port.
      panel = new SerialModulePanel(board, config.panel!.port, { clock });
      break;
    case 'gpio': {
      const { GpioPanel } = await import('./gpio/gpio-panel.ts');
      panel = new GpioPanel(board, await gpioLines(), { clock, blink });
      break;
    }
    case 'streamdeck': {
      const { StreamDeckPanel } = await import('./hid/stream-deck-panel.ts');
      const { usbStreamDecks } = await import('./hid/stream-deck-usb.ts');
      panel = new StreamDeckPanel(board, usbStreamDecks(board), { clock, blink });
      break;
    }
    case 'hid': {
      const { HidKeypadPanel } = await import('./hid/hid-keypad-panel.ts');
      const { usbHidKeypads } = await import('./hid/hid-keypad-usb.ts');
      panel = new HidKeypadPanel(board, usbHidKeypads(board), { clock, blink });
      break;
    }
  }
  // One line per change of the panel's state or its reason: a module unplugged for an hour, retried every
  // few seconds, is said once (a retry that fails the same way again is only debug).
  let said: string | null = null;
  panel.onStatus((status) => {
    const fields = { board: board.id, detail: status.detail };
    const line = `${status.state}: ${status.detail}`;
    if (line === said) return log.debug(`panel ${status.state} again`, fields);
    said = line;
    if (status.state === 'connected') log.info(`panel ${status.state}`, fields);
    else log.warn(`panel ${status.state}`, fields);
  });
  panel.onKey((event) => log.debug('key', { key: event.key, event: event.event }));
  panel.start?.();
  return panel;
}

/** The GPIO character device, or lines that say why there is none (not a Pi, driver not installed). */
async function gpioLines(): Promise<GpioLines> {
  const { GpioError } = await import('./gpio/gpio-lines.ts');
  const { GpioxLines, loadGpiox } = await import('./gpio/gpiox-lines.ts');
  const gpiox = loadGpiox();
  if (typeof gpiox !== 'string') return new GpioxLines(gpiox);
  const refuse = (): never => {
    throw new GpioError('no-driver', gpiox);
  };
  return { description: 'no GPIO driver', input: refuse, output: refuse };
}
