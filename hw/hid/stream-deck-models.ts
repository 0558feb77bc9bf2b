/**
 * The Stream Deck models @elgato-stream-deck/core knows, by USB id: a board of boards.json whose ids
 * are none of them cannot be driven, and is refused when the table is read (a BoardRule).
 */
import { DEVICE_MODELS, DeviceModelType } from '@elgato-stream-deck/core';
import { usbId, type BoardProblem, type BoardRule } from '../../src/config/boards.ts';

const STREAM_DECKS = DEVICE_MODELS.filter((model) => model.type === DeviceModelType.STREAMDECK);

/** The Stream Deck model with these USB ids, if @elgato-stream-deck/core knows it. */
export function streamDeckModel(vendorId: number, productId: number): (typeof DEVICE_MODELS)[number] | null {
  return (
    STREAM_DECKS.find((model) => model.vendorId === vendorId && model.productIds.includes(productId)) ?? null
  );
}

/** Refuses a Stream Deck board with a USB id that is no Stream Deck the library knows. */
export const streamDeckIds: BoardRule = (board): BoardProblem | null => {
  if (board.driver !== 'streamdeck' || board.usb == null) return null;
  const { vendorId, productIds } = board.usb;
  for (const [index, productId] of productIds.entries()) {
    if (streamDeckModel(vendorId, productId) != null) continue;
    const known = STREAM_DECKS.map(
      (model) => `${model.id} ${usbId(model.vendorId)}:${model.productIds.map(usbId).join('/')}`,
    ).join(', ');
    return {
      code: 'unknown-device',
      path: `usb/productIds/${index}`,
      what: `${usbId(vendorId)}:${usbId(productId)} is not a Stream Deck that @elgato-stream-deck/core knows (${known})`,
    };
  }
  return null;
};
