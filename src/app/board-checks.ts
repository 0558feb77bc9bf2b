/**
 * `lampfield doctor`'s board checks: is the panel the config names there, and can this user drive it?
 * One check per thing that can be missing (driver library, device, permission, lines), each failure with
 * the command that fixes it. What the checks look at comes through a BoardProbe, so that tests can give a
 * machine with GPIO chips and USB devices that this one does not have.
 */
import { constants as fsConstants, existsSync, readdirSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { GpioError, type GpioLines } from '../../hw/gpio/gpio-lines.ts';
import { GpioxLines, loadGpiox } from '../../hw/gpio/gpiox-lines.ts';
import { loadNodeHid } from '../../hw/hid/hid-keypad-usb.ts';
import { usbIds } from '../../hw/hid/usb-devices.ts';
import { openLink, tcpLinkAddress } from '../../hw/serial/module-link.ts';
import { lampEntries, usbId, type Board } from '../config/boards.ts';
import type { Config } from '../config/config.ts';

export interface Check {
  ok: boolean;
  what: string;
  fix?: string;
}

export interface UsbHidDevice {
  vendorId: number;
  productId: number;
  path?: string | undefined;
}

export interface BoardProbe {
  /** Where device files are: /dev. */
  devDir: string;
  /** The GPIO backend, or why there is none here. */
  gpioLines(): GpioLines | string;
  /** The HID devices plugged in; throws when node-hid cannot load. */
  hidDevices(): Promise<UsbHidDevice[]>;
}

export const systemProbe: BoardProbe = {
  devDir: '/dev',
  gpioLines: () => {
    const gpiox = loadGpiox();
    return typeof gpiox === 'string' ? gpiox : new GpioxLines(gpiox);
  },
  hidDevices: async () => (await loadNodeHid()).devicesAsync(),
};

export async function checkBoard(config: Config, probe: BoardProbe): Promise<Check[]> {
  const board = config.board;
  const name = `board ${board.id}`;
  switch (board.driver) {
    case 'console':
      return [{ ok: true, what: `${name}: the terminal` }];
    case 'serial':
      return [await checkSerial(name, config.panel?.port)];
    case 'gpio':
      return checkGpio(name, board, probe);
    case 'streamdeck':
    case 'hid':
      return checkUsb(name, board, probe);
  }
}

async function readWrite(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.R_OK | fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function checkSerial(name: string, port: string | undefined): Promise<Check> {
  if (port == null) {
    return { ok: false, what: `${name}: no panel.port`, fix: 'set panel.port to the module (/dev/ttyACM0)' };
  }
  const tcp = tcpLinkAddress(port);
  if (tcp != null) {
    try {
      (await openLink(port, { data: () => {}, closed: () => {} })).close();
      return { ok: true, what: `${name}: ${port} accepts connections` };
    } catch (error) {
      return {
        ok: false,
        what: `${name}: ${error instanceof Error ? error.message : String(error)}`,
        fix: `start the module simulator (lampfield module --tcp ${tcp.port}) or ser2net on ${tcp.host}`,
      };
    }
  }
  if (!existsSync(port)) {
    return {
      ok: false,
      what: `${name}: ${port} does not exist`,
      fix: 'plug the module in, then `ls /dev/ttyACM* /dev/ttyUSB*` shows its name for panel.port',
    };
  }
  if (await readWrite(port)) return { ok: true, what: `${name}: ${port} present, readable and writable` };
  return {
    ok: false,
    what: `${name}: ${port} is not readable and writable by this user`,
    fix: 'sudo usermod -aG dialout "$USER" (then log in again)',
  };
}

async function checkGpio(name: string, board: Board, probe: BoardProbe): Promise<Check[]> {
  const checks: Check[] = [];
  const chips = readdirSync(probe.devDir)
    .filter((file) => /^gpiochip\d+$/.test(file))
    .sort();
  if (chips.length === 0) {
    checks.push({
      ok: false,
      what: `${name}: no GPIO character device (${join(probe.devDir, 'gpiochip*')})`,
      fix: 'GPIO boards run on a Raspberry Pi; choose another board in the config (board:) on this machine',
    });
  } else {
    const locked: string[] = [];
    for (const chip of chips) if (!(await readWrite(join(probe.devDir, chip)))) locked.push(chip);
    checks.push(
      locked.length === 0
        ? { ok: true, what: `${name}: ${chips.join(', ')} readable and writable` }
        : {
            ok: false,
            what: `${name}: ${locked.map((chip) => join(probe.devDir, chip)).join(', ')} not readable and writable by this user`,
            fix: 'sudo usermod -aG gpio "$USER" (then log in again)',
          },
    );
  }
  const lines = probe.gpioLines();
  if (typeof lines === 'string') {
    checks.push({
      ok: false,
      what: `${name}: no GPIO driver: ${lines}`,
      fix: 'run lampfield on the Pi itself, after `npm ci` there',
    });
    return checks;
  }
  if (checks.some((check) => !check.ok)) return checks;
  // Claim every line the board uses, as an input (nothing driven), and let go at once.
  const wiring = board.gpio!;
  const all = [
    ...('lines' in wiring.keys
      ? wiring.keys.lines
      : [...wiring.keys.matrix.rows, ...wiring.keys.matrix.columns]),
    ...wiring.lamps.flatMap((lamp) => lampEntries(lamp).map(([, line]) => line)),
  ];
  const problems: string[] = [];
  for (const line of all) {
    try {
      lines.input(line, () => {}).close();
    } catch (error) {
      problems.push(error instanceof GpioError ? error.message : String(error));
    }
  }
  checks.push(
    problems.length === 0
      ? { ok: true, what: `${name}: all ${all.length} GPIO lines free (${lines.description})` }
      : {
          ok: false,
          what: `${name}: ${problems.join('; ')}`,
          fix: 'stop what holds the line (`gpioinfo` names it; a running lampfield: sudo systemctl stop lampfield), or move the wiring and boards.json',
        },
  );
  return checks;
}

async function checkUsb(name: string, board: Board, probe: BoardProbe): Promise<Check[]> {
  const usb = board.usb!;
  const ids = usbIds(usb);
  let devices: UsbHidDevice[];
  try {
    devices = await probe.hidDevices();
  } catch (error) {
    return [
      {
        ok: false,
        what: `${name}: ${error instanceof Error ? error.message : String(error)}`,
        fix: 'sudo apt-get install -y libusb-1.0-0',
      },
    ];
  }
  const found = devices.filter(
    (device) => device.vendorId === usb.vendorId && usb.productIds.includes(device.productId),
  );
  if (found.length === 0) {
    return [
      {
        ok: false,
        what: `${name}: no device with USB id ${ids} is plugged in`,
        fix: `plug it in; \`lsusb -d ${usbId(usb.vendorId).slice(2)}:\` lists it once the machine sees it`,
      },
    ];
  }
  const path = found[0]!.path ?? '';
  if (path === '' || (await readWrite(path)))
    return [{ ok: true, what: `${name}: ${path || ids} present and accessible` }];
  return [
    {
      ok: false,
      what: `${name}: ${path} is not readable and writable by this user`,
      fix: 'sudo lampfield install-service (its udev rules), then sudo usermod -aG plugdev "$USER" and log in again',
    },
  ];
}
