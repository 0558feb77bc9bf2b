/** boards.json read with the Stream Deck driver's rule: a USB id @elgato-stream-deck/core does not know. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DRIVER_RULES } from '../../hw/board-rules.ts';
import { streamDeckIds } from '../../hw/hid/stream-deck-models.ts';
import { BOARDS_FILE, BoardsError, loadBoards, parseBoards } from '../../src/config/boards.ts';

const shipped = JSON.parse(readFileSync(BOARDS_FILE, 'utf8')) as {
  boards: { id: string; usb?: { productIds: string[] } }[];
};

describe('Stream Deck ids', () => {
  it('passes every board boards.json ships', () => {
    expect(() => loadBoards(BOARDS_FILE, DRIVER_RULES)).not.toThrow();
    expect(DRIVER_RULES).toContain(streamDeckIds);
  });

  it('refuses a Stream Deck USB id that @elgato-stream-deck/core does not know, listing the known ones', () => {
    const deck = structuredClone(shipped.boards.find((board) => board.id === 'streamdeck-15')!);
    deck.usb!.productIds[1] = '0x1234';
    let caught: unknown;
    try {
      parseBoards(JSON.stringify({ boards: [deck] }), 'boards.json', [streamDeckIds]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BoardsError);
    expect(caught).toMatchObject({ code: 'unknown-device', path: '/boards/0/usb/productIds/1' });
    expect((caught as Error).message).toMatch(
      /^boards\.json: \/boards\/0\/usb\/productIds\/1: 0x0fd9:0x1234 is not a Stream Deck that @elgato-stream-deck\/core knows \(original 0x0fd9:0x0060, /,
    );
    // Without the driver's rule, the table itself has nothing against it.
    expect(() => parseBoards(JSON.stringify({ boards: [deck] }), 'boards.json')).not.toThrow();
  });
});
