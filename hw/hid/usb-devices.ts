/**
 * What the USB panels (Stream Deck, HID keypads) share: how their ids read, why node-hid did not load,
 * and why a device that is there could not be opened, each with its fix.
 */
import { usbId, type Board } from '../../src/config/boards.ts';
import { UserError } from '../../src/util/user-error.ts';

/** "0x0fd9:0x0060, 0x0fd9:0x0080": the ids a board's device may announce. */
export function usbIds(usb: NonNullable<Board['usb']>): string {
  return usb.productIds.map((id) => `${usbId(usb.vendorId)}:${usbId(id)}`).join(', ');
}

export type UsbErrorCode =
  /** node-hid cannot load: Debian's libusb-1.0-0 is missing. */
  | 'no-libusb'
  /** node-hid cannot load for another reason. */
  | 'no-hid'
  /** A device that is there would not open (mostly permissions). */
  | 'cannot-open';

export class UsbError extends UserError<UsbErrorCode> {
  override readonly name = 'UsbError';
}

/** Loads a library that brings node-hid, which needs Debian's libusb-1.0-0 at run time. */
export async function loadHidLibrary<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const text = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    if (/libusb/.test(text)) {
      const message = `node-hid cannot load: ${text} (install it: sudo apt-get install -y libusb-1.0-0)`;
      throw new UsbError('no-libusb', message, { cause: error });
    }
    throw new UsbError('no-hid', `node-hid cannot load: ${text}`, { cause: error });
  }
}

/** A device that is there but would not open: mostly permissions. */
export function cannotOpen(path: string, error: unknown): UsbError {
  return new UsbError(
    'cannot-open',
    `${path}: ${error instanceof Error ? error.message : String(error)} (permission? the udev rules of \`lampfield install-service\` give the plugdev group access)`,
    { cause: error },
  );
}
