/**
 * Stream Decks on USB, through @elgato-stream-deck/node (node-hid underneath). Loaded on first use, so
 * that a machine without libusb can still run every other board, and says in one line what is missing.
 */
import type { StreamDeck } from '@elgato-stream-deck/core';
import type { Board } from '../../src/config/boards.ts';
import { streamDeckModel } from './stream-deck-models.ts';
import type { StreamDeckSource } from './stream-deck-panel.ts';
import { cannotOpen, loadHidLibrary, usbIds } from './usb-devices.ts';

export function usbStreamDecks(board: Board): StreamDeckSource {
  const usb = board.usb;
  if (usb == null) throw new Error(`board "${board.id}" has no usb ids in boards.json`);
  const models = new Set(usb.productIds.map((productId) => streamDeckModel(usb.vendorId, productId)?.id));
  return {
    description: `Stream Deck (${usbIds(usb)})`,
    open: async (): Promise<StreamDeck | null> => {
      const library = await loadHidLibrary(() => import('@elgato-stream-deck/node'));
      const found = (await library.listStreamDecks()).find((deck) => models.has(deck.model));
      if (found == null) return null;
      try {
        // The Elgato logo when lampfield stops, not the last lamps frozen.
        return await library.openStreamDeck(found.path, { resetToLogoOnClose: true });
      } catch (error) {
        throw cannotOpen(found.path, error);
      }
    },
  };
}
