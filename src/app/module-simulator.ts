/**
 * The expansion module on a link a host can drive (a TCP port or a serial device, such as one end of a
 * socat pty pair): the firmware simulator (firmware-sim/sim), or with a firmware file the module's real
 * C firmware on an emulated RP2040 (firmware-sim/pico, loaded only then). `lampfield module` serves it
 * alone; `lampfield sim` serves it to its own watcher.
 */
import type { ModuleDevice, ModuleLinkEnd } from '../../firmware-sim/sim/module-device.ts';
import { ModuleFirmware } from '../../firmware-sim/sim/module-firmware.ts';
import type { ModuleHardware } from '../../firmware-sim/sim/module-hardware.ts';
import { serveOverSerial, serveOverTcp, type ModuleEndpoint } from '../../firmware-sim/sim/module-server.ts';
import { keyCount, type Board } from '../config/boards.ts';
import type { Clock } from '../util/clock.ts';
import { UserError } from '../util/user-error.ts';

export type ModuleLink = { tcp: number } | { serial: string };

export interface ServedModule {
  firmware: ModuleDevice;
  /** Closing it also switches the module off. */
  endpoint: ModuleEndpoint;
}

/**
 * Starts the module of `board` (a module board) and serves it: the simulator, or the firmware in
 * `firmwareFile` (an ELF, a UF2 or a flash image) on the emulated Pico. Throws a UserError (one line)
 * when the link cannot be served or the file is not firmware for that board.
 */
export async function serveModule(
  board: Board,
  link: ModuleLink,
  clock: Clock,
  firmwareFile: string | null = null,
): Promise<ServedModule> {
  let module: ModuleDevice & ModuleLinkEnd;
  let stop = () => {};
  if (firmwareFile == null) {
    module = new ModuleFirmware(hardwareOf(board), clock);
  } else {
    const [{ PicoModule, FIRMWARE_BOARDS }, { boardOf, readFirmwareImage }] = await Promise.all([
      import('../../firmware-sim/pico/pico-module.ts'),
      import('../../firmware-sim/pico/firmware-image.ts'),
    ]);
    const image = readFirmwareImage(firmwareFile);
    const built = boardOf(image, FIRMWARE_BOARDS);
    if (built == null)
      throw new UserError(
        'wrong-board',
        `${firmwareFile} is not lampfield's module firmware (it names none of ${FIRMWARE_BOARDS.join(', ')})`,
      );
    if (built !== board.id)
      throw new UserError(
        'wrong-board',
        `${firmwareFile} is the firmware of ${built}, not ${board.id}: give --board ${built}`,
      );
    const pico = new PicoModule(image, hardwareOf(board), clock);
    module = pico;
    stop = () => pico.stop();
  }
  let endpoint: ModuleEndpoint;
  try {
    endpoint =
      'serial' in link ? await serveOverSerial(module, link.serial) : await serveOverTcp(module, link.tcp);
  } catch (error) {
    stop();
    throw error;
  }
  return {
    firmware: module,
    endpoint: {
      port: endpoint.port,
      unplug: (plugBackAfterMs) => endpoint.unplug(plugBackAfterMs),
      close: async () => {
        await endpoint.close();
        stop();
      },
    },
  };
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
