/**
 * Stream Decks on USB, through @elgato-stream-deck/node (node-hid underneath, which needs Debian's
 * libusb-1.0-0 at run time). Loaded on first use, so that a machine without it can still run every other
 * board, and says in one line what is missing.
 */
import type { StreamDeck } from '@elgato-stream-deck/core';
import type * as StreamDeckNode from '@elgato-stream-deck/node';
import { streamDeckModel, usbId, type Board } from '../../src/config/boards.ts';
import type { StreamDeckSource } from './stream-deck-panel.ts';

export function usbStreamDecks(board: Board): StreamDeckSource {
  const usb = board.usb;
  if (usb == null) throw new Error(`board "${board.id}" has no usb ids in boards.json`);
  const models = new Set(usb.productIds.map((productId) => streamDeckModel(usb.vendorId, productId)?.id));
  return {
    description: `Stream Deck (${usb.productIds.map((id) => `${usbId(usb.vendorId)}:${usbId(id)}`).join(', ')})`,
    open: async (): Promise<StreamDeck | null> => {
      const library = await loadStreamDeckNode();
      const found = (await library.listStreamDecks()).find((deck) => models.has(deck.model));
      if (found == null) return null;
      try {
        return await library.openStreamDeck(found.path, { resetToLogoOnClose: true });
      } catch (error) {
        throw new Error(
          `${found.path}: ${error instanceof Error ? error.message : String(error)} (permission? the udev rules of \`lampfield install-service\` give the plugdev group access)`,
          { cause: error },
        );
      }
    },
  };
}

export async function loadStreamDeckNode(): Promise<typeof StreamDeckNode> {
  try {
    return await import('@elgato-stream-deck/node');
  } catch (error) {
    throw new Error(hidLoadProblem(error), { cause: error });
  }
}

/** Why node-hid did not load, with the fix. */
export function hidLoadProblem(error: unknown): string {
  const text = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  return /libusb/.test(text)
    ? `node-hid cannot load: ${text} (install it: sudo apt-get install -y libusb-1.0-0)`
    : `node-hid cannot load: ${text}`;
}
