/**
 * The simulated module for a person or a script (`lampfield module`, `lampfield sim`): on a screen it
 * draws the keys and their lamps and takes `press N` and `long N` on the terminal's input (pressing the
 * module's own switches; a key on a page out of view after its page key) and `page P` (page key P);
 * with `json` it prints one line per change of what the module keeps for each key, and of the page it
 * shows and its page keys' lamps.
 */
import { createInterface } from 'node:readline';
import type { ModuleFirmware } from '../../firmware-sim/sim/module-firmware.ts';
import type { LedOutput } from '../../firmware-sim/sim/module-hardware.ts';
import { pressAsPerson } from '../../firmware-sim/sim/module-person.ts';
import type { Terminal } from '../../hw/open-board.ts';
import type { Clock } from '../util/clock.ts';

export interface ViewIo {
  stdout(line: string): void;
  stderr(line: string): void;
}

export interface ViewSetup {
  /** One JSON line per change instead of the drawing. */
  json: boolean;
  /** A line under the drawing (the simulator's desk phone). */
  status?: () => string;
  /** Where the commands come from, and whether it is a screen to draw on. */
  terminal: Terminal;
  clock: Clock;
}

export function showModule(
  firmware: ModuleFirmware,
  columns: number,
  io: ViewIo,
  setup: ViewSetup,
): { stop(): void } {
  const { json, terminal, clock } = setup;
  const status = setup.status ?? (() => '');
  const keys = firmware.hardware.keys.length;
  const pageKeys = firmware.hardware.pageKeys.length;
  const input = terminal.input == null ? null : createInterface({ input: terminal.input });
  input?.on('line', (line) => {
    const match = /^\s*(press|long|page)\s+(\d+)\s*$/.exec(line);
    const number = Number(match?.[2]);
    if (match?.[1] === 'page' && number >= 1 && number <= pageKeys) {
      firmware.pressPageKey(number - 1);
      clock.after(60, () => firmware.releasePageKey(number - 1));
      return;
    }
    if (match?.[1] !== 'page' && pressAsPerson(firmware, number, match?.[1] === 'long' ? 800 : 120, clock))
      return;
    if (line.trim() === '') return;
    const pages = pageKeys > 0 ? ` or "page P" (1..${pageKeys})` : '';
    io.stderr(`"${line.trim()}" is not "press N" or "long N" (1..${keys})${pages}`);
  });
  let lastState = '';
  let lastStatus = '';
  let lastPage = '';
  const lastKeys: string[] = [];
  const look = () => {
    if (json) {
      if (firmware.state !== lastState) io.stdout(JSON.stringify({ state: firmware.state }));
      lastState = firmware.state;
      const now = status();
      if (now !== lastStatus && now !== '') io.stdout(JSON.stringify({ status: now }));
      lastStatus = now;
      for (let key = 0; key < keys; key++) {
        const lamp = firmware.lamp(key);
        const text = JSON.stringify({
          key: key + 1,
          color: lamp?.color ?? 'off',
          pattern: lamp?.pattern ?? 'off',
          label: firmware.label(key),
        });
        if (text !== lastKeys[key]) io.stdout(text);
        lastKeys[key] = text;
      }
      if (firmware.hardware.pages > 1) {
        const lamps = Array.from({ length: pageKeys }, (_, index) => firmware.pageKeyLamp(index));
        const page = JSON.stringify({ page: firmware.shownPage + 1, pageKeys: lamps });
        if (page !== lastPage) io.stdout(page);
        lastPage = page;
      }
    } else if (terminal.screen === true) {
      terminal.write(`\x1b[H\x1b[2J${draw(firmware, columns)}\n${status()}`);
    }
  };
  // Looked at every 20 ms for a script (each change once), every 100 ms for a person.
  let cancel: () => void = () => undefined;
  const every = () => {
    look();
    cancel = clock.after(json ? 20 : 100, every);
  };
  cancel = clock.after(json ? 20 : 100, every);
  return {
    stop: () => {
      cancel();
      input?.close();
    },
  };
}

/** The panel in the terminal: one cell per key of the page in view, its lamp as a colored dot while lit. */
function draw(firmware: ModuleFirmware, columns: number): string {
  const cells: string[] = [];
  const first = firmware.shownPage * firmware.perPage;
  for (let slot = 0; slot < firmware.perPage; slot++) {
    const label = firmware.label(first + slot).padEnd(firmware.hardware.labelChars);
    cells.push(`${String(first + slot + 1).padStart(3)} ${dot(firmware.led(slot))} ${label}`);
  }
  const { pages, pageKeys } = firmware.hardware;
  const page = pages > 1 ? `, page ${firmware.shownPage + 1} of ${pages}` : '';
  const rows: string[] = [`module ${firmware.hardware.boardId}: ${firmware.state}${page}`];
  for (let i = 0; i < cells.length; i += columns) rows.push(cells.slice(i, i + columns).join(' │'));
  if (pageKeys.length > 0)
    rows.push(
      `pages ${pageKeys.map((_, index) => `${index + 1} ${dot(firmware.pageKeyLed(index))}`).join('  ')}`,
    );
  return rows.join('\n');
}

function dot(led: LedOutput): string {
  return led.lit ? `\x1b[38;2;${led.red};${led.green};${led.blue}m●\x1b[0m` : '○';
}
