/**
 * `lampfield doctor`'s board checks on machines this one is not: a Pi with GPIO chips (in a folder
 * standing for /dev) and lines on fake lines, one of them held by another program; USB devices plugged in
 * or not; node-hid without libusb. The check on this very machine is in test/integration/doctor.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeGpioLines } from '../../hw/gpio/fake-gpio-lines.ts';
import { checkBoard, type BoardProbe, type UsbHidDevice } from '../../src/app/board-checks.ts';
import { parseConfig } from '../../src/config/config.ts';

const config = (board: string) =>
  parseConfig(
    `pbx: { host: 127.0.0.1 }\naccount: { user: "900" }\nboard: ${board}\nkeys: [{ key: 1, partner: "207" }]\n`,
    'lampfield.yaml',
  );

function machine(
  files: string[],
  lines: FakeGpioLines | string,
  devices: UsbHidDevice[] | Error,
): BoardProbe {
  const devDir = mkdtempSync(join(tmpdir(), 'lampfield-dev-'));
  for (const file of files) writeFileSync(join(devDir, file), '');
  return {
    devDir,
    gpioLines: () => lines,
    hidDevices: () => (devices instanceof Error ? Promise.reject(devices) : Promise.resolve(devices)),
  };
}

describe('doctor: board checks', () => {
  it('a Pi with the GPIO chips and every line free passes', async () => {
    const probe = machine(['gpiochip0', 'gpiochip1'], new FakeGpioLines(), []);
    const checks = await checkBoard(config('gpio-8-bicolor'), probe);
    expect(checks.map((check) => `${check.ok} ${check.what}`)).toEqual([
      'true board gpio-8-bicolor: gpiochip0, gpiochip1 readable and writable',
      'true board gpio-8-bicolor: all 24 GPIO lines free (fake GPIO lines)',
    ]);
  });

  it('names a GPIO line another program holds, the matrix lines included, and how to find who', async () => {
    const lines = new FakeGpioLines();
    lines.busy.add(19).add(10);
    const checks = await checkBoard(config('gpio-16-mono'), machine(['gpiochip0'], lines, []));
    expect(checks[1]).toEqual({
      ok: false,
      what: 'board gpio-16-mono: GPIO19 is in use by another program (Device or resource busy); GPIO10 is in use by another program (Device or resource busy)',
      fix: 'stop what holds the line (`gpioinfo` names it; a running lampfield: sudo systemctl stop lampfield), or move the wiring and boards.json',
    });
    expect(lines.claimed).toBe(0);
  });

  it('a machine without GPIO says both what is missing', async () => {
    const checks = await checkBoard(config('gpio-8-bicolor'), machine([], 'no driver here', []));
    expect(checks.map((check) => check.ok)).toEqual([false, false]);
    expect(checks[0]!.what).toMatch(/^board gpio-8-bicolor: no GPIO character device \(.*gpiochip\*\)$/);
    expect(checks[1]!.what).toBe('board gpio-8-bicolor: no GPIO driver: no driver here');
  });

  it('a Stream Deck: plugged in and accessible, absent, or node-hid without libusb', async () => {
    const probe = machine(['hidraw3'], 'unused', []);
    const deck = { vendorId: 0x0fd9, productId: 0x0080, path: join(probe.devDir, 'hidraw3') };
    const present = await checkBoard(config('streamdeck-15'), {
      ...probe,
      hidDevices: () => Promise.resolve([deck]),
    });
    expect(present).toEqual([{ ok: true, what: `board streamdeck-15: ${deck.path} present and accessible` }]);

    const other = { vendorId: 0x0fd9, productId: 0x006c, path: deck.path }; // an XL, not a 15-key deck
    const absent = await checkBoard(config('streamdeck-15'), {
      ...probe,
      hidDevices: () => Promise.resolve([other]),
    });
    expect(absent[0]).toEqual({
      ok: false,
      what: 'board streamdeck-15: no device with USB id 0x0fd9:0x0060, 0x0fd9:0x006d, 0x0fd9:0x0080, 0x0fd9:0x00a5, 0x0fd9:0x00b9 is plugged in',
      fix: 'plug it in; `lsusb -d 0fd9:` lists it once the machine sees it',
    });

    const noLibusb = machine(
      [],
      'unused',
      new Error('node-hid cannot load: libusb-1.0.so.0: cannot open shared object file'),
    );
    const broken = await checkBoard(config('hid-keypad-12'), noLibusb);
    expect(broken[0]).toMatchObject({ ok: false, fix: 'sudo apt-get install -y libusb-1.0-0' });
  });
});
