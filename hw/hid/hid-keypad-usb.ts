/** Generic HID keypads on USB through node-hid (Debian's libusb-1.0-0 at run time), found by USB ids. */
import type * as NodeHid from 'node-hid';
import type { Board } from '../../src/config/boards.ts';
import type { HidConnection, HidKeypadSource } from './hid-keypad-panel.ts';
import { cannotOpen, loadHidLibrary, usbIds } from './usb-devices.ts';

export function usbHidKeypads(board: Board): HidKeypadSource {
  const usb = board.usb;
  if (usb == null) throw new Error(`board "${board.id}" has no usb ids in boards.json`);
  return {
    description: `HID keypad (${usbIds(usb)})`,
    open: async (): Promise<HidConnection | null> => {
      const hid = await loadNodeHid();
      const found = (await hid.devicesAsync()).find(
        (device) =>
          device.vendorId === usb.vendorId && usb.productIds.includes(device.productId) && device.path,
      );
      if (found?.path == null) return null;
      try {
        return new NodeHidConnection(await hid.HIDAsync.open(found.path));
      } catch (error) {
        throw cannotOpen(found.path, error);
      }
    },
  };
}

export function loadNodeHid(): Promise<typeof NodeHid> {
  return loadHidLibrary(() => import('node-hid'));
}

/** node-hid's HIDAsync as the panel's HidConnection. */
class NodeHidConnection implements HidConnection {
  constructor(private readonly device: NodeHid.HIDAsync) {}

  on(event: 'data', listener: (report: Uint8Array) => void): void;
  on(event: 'error', listener: (error: unknown) => void): void;
  on(event: 'data' | 'error', listener: (value: never) => void): void {
    this.device.on(event, listener as (...args: unknown[]) => void);
  }

  write(report: number[]): Promise<number> {
    return this.device.write(report);
  }

  close(): Promise<void> {
    return this.device.close();
  }
}
