/**
 * `lampfield module [--tcp PORT | --serial PATH] [--board ID] [--json]` (BRIEF §8): the expansion
 * module's firmware simulator alone, as a module another host can drive. In a terminal it draws the
 * keys and lamps and takes `press N`, `long N` on standard input; with `--json` it prints one line per
 * change of what the module shows, for scripts and tests.
 */
import { createInterface } from 'node:readline';
import { ModuleFirmware, type LedOutput } from '../../firmware-sim/sim/module-firmware.ts';
import { hardwareOf } from '../../firmware-sim/sim/module-hardware.ts';
import { serveOverSerial, serveOverTcp, type ModuleEndpoint } from '../../firmware-sim/sim/module-server.ts';
import { loadBoards } from '../config/boards.ts';
import { systemClock } from '../util/clock.ts';
import type { CommandIo } from './command-io.ts';

const USAGE = 'usage: lampfield module [--tcp PORT | --serial PATH] [--board ID] [--json]';

export async function moduleCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let tcp: number | null = null;
  let serial: string | null = null;
  let boardId = 'module-20rgb';
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--tcp') tcp = Number(args[++i]);
    else if (arg === '--serial') serial = args[++i] ?? null;
    else if (arg === '--board') boardId = args[++i] ?? '';
    else if (arg === '--json') json = true;
    else {
      io.stderr(`lampfield module: unknown argument ${arg}\n${USAGE}`);
      return 2;
    }
  }
  if (tcp != null && (!Number.isInteger(tcp) || tcp < 0 || tcp > 65535)) {
    io.stderr(`lampfield module: --tcp needs a port number\n${USAGE}`);
    return 2;
  }
  const boards = loadBoards().filter((candidate) => candidate.driver === 'serial');
  const board = boards.find((candidate) => candidate.id === boardId);
  if (board == null) {
    io.stderr(
      `lampfield module: no module board "${boardId}" in boards.json (${boards.map((b) => b.id).join(', ')})`,
    );
    return 2;
  }
  const firmware = new ModuleFirmware(hardwareOf(board), systemClock);
  let endpoint: ModuleEndpoint;
  try {
    endpoint =
      serial != null ? await serveOverSerial(firmware, serial) : await serveOverTcp(firmware, tcp ?? 7000);
  } catch (error) {
    io.stderr(`lampfield module: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  io.stderr(`lampfield module: ${board.id} on ${serial ?? `tcp://127.0.0.1:${endpoint.port}`}`);

  const keys = firmware.hardware.keys.length;
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    const match = /^\s*(press|long)\s+(\d+)\s*$/.exec(line);
    const key = Number(match?.[2]) - 1;
    if (match == null || key < 0 || key >= keys) {
      if (line.trim() !== '')
        io.stderr(`lampfield module: "${line.trim()}" is not "press N" or "long N" (1..${keys})`);
      return;
    }
    firmware.pressSwitch(key);
    setTimeout(() => firmware.releaseSwitch(key), match[1] === 'long' ? 800 : 120);
  });

  let last = '';
  const lastKeys: string[] = [];
  const timer = setInterval(
    () => {
      if (json) {
        if (firmware.state !== last) io.stdout(JSON.stringify({ state: firmware.state }));
        last = firmware.state;
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
        process.stdout.write(`\x1b[H\x1b[2J${draw(firmware, board.grid.columns)}\n`);
      }
    },
    json ? 20 : 100,
  );

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  input.close();
  await endpoint.close();
  return 0;
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
