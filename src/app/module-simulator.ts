/**
 * The expansion module's firmware simulator (firmware-sim/), on a link a host can drive: a TCP port or a
 * serial device (one end of a socat pty pair). `lampfield module` serves it alone; `lampfield sim`
 * serves it to its own watcher.
 */
import { ModuleFirmware } from '../../firmware-sim/sim/module-firmware.ts';
import type { ModuleHardware } from '../../firmware-sim/sim/module-hardware.ts';
import { serveOverSerial, serveOverTcp, type ModuleEndpoint } from '../../firmware-sim/sim/module-server.ts';
import { keyCount, type Board } from '../config/boards.ts';
import type { Clock } from '../util/clock.ts';

export type ModuleLink = { tcp: number } | { serial: string };

export interface ServedModule {
  firmware: ModuleFirmware;
  endpoint: ModuleEndpoint;
}

/** Starts the firmware of `board` (a module board) and serves it; throws ModuleServerError when it cannot. */
export async function serveModule(board: Board, link: ModuleLink, clock: Clock): Promise<ServedModule> {
  const firmware = new ModuleFirmware(hardwareOf(board), clock);
  const endpoint =
    'serial' in link ? await serveOverSerial(firmware, link.serial) : await serveOverTcp(firmware, link.tcp);
  return { firmware, endpoint };
}

/**
 * The hardware a simulated module has, as boards.json describes the module variant: the firmware knows
 * nothing of boards.json (it shares only the protocol with the host, BRIEF §5), so the board is read here.
 */
export function hardwareOf(board: Board, serial = 'SIM-0001'): ModuleHardware {
  const keys = keyCount(board);
  const pageKeys = board.pageKeys?.kind === 'module' ? board.pageKeys.count : 0;
  return {
    boardId: board.id,
    serial,
    keys: Array.from({ length: keys }, () => board.lamp.kind),
    labelChars: board.labels.kind === 'text' ? board.labels.chars : 0,
    pages: board.grid.pages,
    pageKeys: Array.from({ length: pageKeys }, () => board.lamp.kind),
  };
}
