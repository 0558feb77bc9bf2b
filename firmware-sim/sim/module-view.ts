/**
 * The simulated module for a person or a script: in a terminal it draws the keys and their lamps and
 * takes `press N` and `long N` on standard input (pressing the module's own switches); with `json` it
 * prints one line per change of what the module shows.
 */
import { createInterface } from 'node:readline';
import type { ModuleFirmware, LedOutput } from './module-firmware.ts';

export interface ViewIo {
  stdout(line: string): void;
  stderr(line: string): void;
}

export function showModule(
  firmware: ModuleFirmware,
  columns: number,
  io: ViewIo,
  json: boolean,
  status: () => string = () => '',
): { stop(): void } {
  const keys = firmware.hardware.keys.length;
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    const match = /^\s*(press|long)\s+(\d+)\s*$/.exec(line);
    const key = Number(match?.[2]) - 1;
    if (match == null || key < 0 || key >= keys) {
      if (line.trim() !== '') io.stderr(`"${line.trim()}" is not "press N" or "long N" (1..${keys})`);
      return;
    }
    firmware.pressSwitch(key);
    setTimeout(() => firmware.releaseSwitch(key), match[1] === 'long' ? 800 : 120);
  });
  let lastState = '';
  let lastStatus = '';
  const lastKeys: string[] = [];
  const timer = setInterval(
    () => {
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
      } else if (process.stdout.isTTY) {
        process.stdout.write(`\x1b[H\x1b[2J${draw(firmware, columns)}\n${status()}\n`);
      }
    },
    json ? 20 : 100,
  );
  return {
    stop: () => {
      clearInterval(timer);
      input.close();
    },
  };
}

/** The panel in the terminal: one cell per key, its lamp as a colored dot while lit. */
function draw(firmware: ModuleFirmware, columns: number): string {
  const cells: string[] = [];
  for (let key = 0; key < firmware.hardware.keys.length; key++) {
    const led = firmware.led(key);
    cells.push(
      `${String(key + 1).padStart(3)} ${dot(led)} ${firmware.label(key).padEnd(firmware.hardware.labelChars)}`,
    );
  }
  const rows: string[] = [`module ${firmware.hardware.boardId}: ${firmware.state}`];
  for (let i = 0; i < cells.length; i += columns) rows.push(cells.slice(i, i + columns).join(' │'));
  return rows.join('\n');
}

function dot(led: LedOutput): string {
  return led.lit ? `\x1b[38;2;${led.red};${led.green};${led.blue}m●\x1b[0m` : '○';
}
