import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { BOARDS_FILE, loadBoards, parseBoards, type Board } from '../../src/config/boards.ts';

const good = {
  id: 'test-8',
  name: 'Eight keys',
  driver: 'console',
  grid: { rows: 2, columns: 4 },
  lamp: { kind: 'bicolor' },
  labels: { kind: 'none' },
};

function parse(boards: unknown[]) {
  return () => parseBoards(JSON.stringify({ boards }), 'boards.json');
}

describe('boards.json', () => {
  it('loads the shipped table and fills defaults', () => {
    const boards = loadBoards();
    expect(boards.map((board) => board.id)).toContain('console');
    expect(parse([good])()[0]).toMatchObject({ grid: { pages: 1 }, lamp: { hardwarePatterns: false } });
  });

  it('refuses a missing field, naming the JSON path', () => {
    const { lamp: _lamp, ...noLamp } = good;
    expect(parse([good, noLamp])).toThrow("boards.json: /boards/1: must have required property 'lamp'");
  });

  it('refuses a wrong value with what was expected', () => {
    expect(parse([{ ...good, lamp: { kind: 'tricolor' } }])).toThrow(
      'boards.json: /boards/0/lamp/kind: must be one of "rgb", "bicolor", "mono", "none"',
    );
    expect(parse([{ ...good, labels: { kind: 'text' } }])).toThrow(
      "/boards/0/labels: must have required property 'chars'",
    );
  });

  it('refuses an unknown field, a duplicate id and text that is not JSON', () => {
    expect(parse([{ ...good, grid: { rows: 1, columns: 1, colour: 'red' } }])).toThrow(
      '/boards/0/grid: has an unknown field "colour"',
    );
    expect(parse([good, good])).toThrow('/boards/1/id: "test-8" is used twice');
    expect(() => parseBoards('{', 'boards.json')).toThrow(/^boards\.json: not JSON/);
  });

  describe('driver fields', () => {
    // Entries as written in the shipped boards.json (USB ids in hex), to be spoiled one field at a time.
    type Written = Omit<Board, 'usb'> & { usb?: { vendorId: string; productIds: string[] } };
    const shipped = (JSON.parse(readFileSync(BOARDS_FILE, 'utf8')) as { boards: Written[] }).boards;
    const entry = (id: string) => structuredClone(shipped.find((board) => board.id === id)!);

    it('refuses a GPIO board without its wiring, and a pin that is not on the header', () => {
      const gpio = entry('gpio-8-bicolor');
      const { gpio: _gpio, ...unwired } = gpio;
      expect(parse([unwired])).toThrow("boards.json: /boards/0: must have required property 'gpio'");
      gpio.gpio!.lamps[3]!.green = 40;
      expect(parse([gpio])).toThrow('boards.json: /boards/0/gpio/lamps/3/green: must be <= 27');
      gpio.gpio!.lamps[3]!.green = 1;
      expect(parse([gpio])).toThrow('boards.json: /boards/0/gpio/lamps/3/green: must be >= 2');
    });

    it('refuses a GPIO line used twice, a key without its line, and a lamp of the wrong kind', () => {
      const twice = entry('gpio-8-bicolor');
      twice.gpio!.lamps[5]!.red = 17;
      expect(parse([twice])).toThrow(
        'boards.json: /boards/0/gpio/lamps/5/red: GPIO17 is already used at gpio/keys/lines/1',
      );
      const short = entry('gpio-8-bicolor');
      (short.gpio!.keys as { lines: number[] }).lines.pop();
      expect(parse([short])).toThrow('/boards/0/gpio/keys/lines: has 7 lines, the grid has 8 keys');
      const mono = entry('gpio-8-bicolor');
      mono.lamp.kind = 'mono';
      expect(parse([mono])).toThrow('/boards/0/gpio/lamps/0: a mono lamp needs on, found green, red');
      const matrix = entry('gpio-16-mono');
      (matrix.gpio!.keys as { matrix: { rows: number[] } }).matrix.rows.pop();
      expect(parse([matrix])).toThrow(
        "/boards/0/gpio/keys/matrix: 3 rows × 4 columns is not the grid's 16 keys",
      );
    });

    it('refuses a Stream Deck USB id that @elgato-stream-deck does not know', () => {
      const deck = entry('streamdeck-15');
      expect(parse([deck])()[0]?.usb).toEqual({
        vendorId: 0x0fd9,
        productIds: [0x60, 0x6d, 0x80, 0xa5, 0xb9],
      });
      deck.usb!.productIds[1] = '0x1234';
      expect(parse([deck])).toThrow(
        /^boards\.json: \/boards\/0\/usb\/productIds\/1: 0x0fd9:0x1234 is not a Stream Deck that @elgato-stream-deck\/core knows \(original 0x0fd9:0x0060, /,
      );
      deck.usb!.productIds[1] = '4660';
      expect(parse([deck])).toThrow('/boards/0/usb/productIds/1: must match pattern "^0x[0-9a-fA-F]{4}$"');
    });

    it('refuses a HID keypad whose reports do not fit its keys', () => {
      const keypad = entry('hid-keypad-12');
      const { hid: _hid, ...noLayout } = keypad;
      expect(parse([noLayout])).toThrow("/boards/0: must have required property 'hid'");
      keypad.hid!.output.lamps[11]!.on!.byte = 3;
      expect(parse([keypad])).toThrow(
        "/boards/0/hid/output/lamps/11/on/byte: 3 is past the report's 3 bytes",
      );
      keypad.hid!.input.keys.pop();
      expect(parse([keypad])).toThrow('/boards/0/hid/input/keys: has 11 entries, the grid has 12 keys');
    });
  });
});
