/**
 * `lampfield module [--tcp PORT | --serial PATH] [--board ID] [--firmware FILE] [--json]` (BRIEF §8): the
 * expansion module alone, as a module another host can drive: the firmware simulator, or with
 * `--firmware` the module's real firmware (firmware/) on an emulated RP2040. In a terminal it draws the
 * keys and lamps and takes `press N`, `long N` (and `page P` on a module with pages) on standard input;
 * with `--json` it prints one line per change of what the module shows, for scripts and tests.
 */
import { serveModule, type ServedModule } from '../app/module-simulator.ts';
import { showModule } from '../app/module-view.ts';
import type { Platform } from '../app/platform.ts';
import { loadBoards } from '../config/boards.ts';
import type { CommandIo } from './command-io.ts';
import { unknownArgumentLines, usageLine } from './command-help.ts';

const USAGE = usageLine('module');

export async function moduleCommand(
  args: readonly string[],
  io: CommandIo,
  platform: Platform,
): Promise<number> {
  let tcp: number | null = null;
  let serial: string | null = null;
  let boardId = 'module-20rgb';
  let json = false;
  let firmwareFile: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--tcp') tcp = Number(args[++i]);
    else if (arg === '--serial') serial = args[++i] ?? null;
    else if (arg === '--board') boardId = args[++i] ?? '';
    else if (arg === '--json') json = true;
    else if (arg === '--firmware') firmwareFile = args[++i] ?? '';
    else {
      io.stderr(unknownArgumentLines('module', arg));
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
  let served: ServedModule;
  try {
    served = await serveModule(
      board,
      serial != null ? { serial } : { tcp: tcp ?? 7000 },
      platform.clock,
      firmwareFile,
    );
  } catch (error) {
    io.stderr(`lampfield module: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const { firmware, endpoint } = served;
  const view = showModule(firmware, io, {
    json,
    header: [
      `lampfield module: ${board.id}${firmwareFile == null ? '' : ` running ${firmwareFile} on an emulated RP2040`} ` +
        `on ${serial ?? `tcp://127.0.0.1:${endpoint.port}`}; ` +
        `type "press N", "long N"${board.grid.pages > 1 ? ' or "page P"' : ''} and Enter`,
    ],
    terminal: platform.terminal,
    clock: platform.clock,
  });

  await platform.stopRequested();
  view.stop();
  await endpoint.close();
  return 0;
}
