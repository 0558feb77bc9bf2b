/**
 * The expansion module's firmware simulator (firmware-sim/), on a link a host can drive: a TCP port or a
 * serial device (one end of a socat pty pair). `lampfield module` serves it alone; `lampfield sim`
 * serves it to its own watcher.
 */
import { ModuleFirmware } from '../../firmware-sim/sim/module-firmware.ts';
import { hardwareOf } from '../../firmware-sim/sim/module-hardware.ts';
import { serveOverSerial, serveOverTcp, type ModuleEndpoint } from '../../firmware-sim/sim/module-server.ts';
import type { Board } from '../config/boards.ts';
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
