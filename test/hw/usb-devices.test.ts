/** Why a USB panel cannot be used, each with a code of its own and the fix in its words. */
import { describe, expect, it } from 'vitest';
import { cannotOpen, loadHidLibrary, UsbError } from '../../hw/hid/usb-devices.ts';

describe('USB panel errors', () => {
  it('says libusb is missing when node-hid cannot load it, and how to install it', async () => {
    const missing = loadHidLibrary(() =>
      Promise.reject(new Error('libusb-1.0.so.0: cannot open shared object file\n    at Module._load')),
    );
    await expect(missing).rejects.toBeInstanceOf(UsbError);
    await expect(missing).rejects.toMatchObject({
      code: 'no-libusb',
      message: expect.stringContaining('sudo apt-get install -y libusb-1.0-0') as string,
    });
    await expect(loadHidLibrary(() => Promise.reject(new Error('no prebuild')))).rejects.toMatchObject({
      code: 'no-hid',
      message: 'node-hid cannot load: no prebuild',
    });
  });

  it('names the device that would not open, and the udev rules', () => {
    const error = cannotOpen('/dev/hidraw3', new Error('EACCES'));
    expect(error).toMatchObject({ code: 'cannot-open' });
    expect(error.message).toMatch(/^\/dev\/hidraw3: EACCES \(permission\? the udev rules/);
  });
});
