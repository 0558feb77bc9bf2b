import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { BOARDS_FILE, BoardsError, loadBoards, parseBoards, type Board } from '../../src/config/boards.ts';

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

/** The error a table is refused with. */
function refusal(boards: unknown[] | string): BoardsError {
  try {
    parseBoards(typeof boards === 'string' ? boards : JSON.stringify({ boards }), 'boards.json');
  } catch (caught) {
    expect(caught).toBeInstanceOf(BoardsError);
    return caught as BoardsError;
  }
  throw new Error('the table was accepted');
}

describe('boards.json', () => {
  it('loads the shipped table and fills defaults', () => {
    const boards = loadBoards();
    expect(boards.map((board) => board.id)).toContain('console');
    expect(parse([good])()[0]).toMatchObject({ grid: { pages: 1 }, lamp: { hardwarePatterns: false } });
  });

  it('refuses a missing field, naming the JSON path', () => {
    const { lamp: _lamp, ...noLamp } = good;
    const missing = refusal([good, noLamp]);
    expect(missing).toMatchObject({
      code: 'schema',
      source: 'boards.json',
      path: '/boards/1',
      rule: 'required',
    });
    expect(missing.message).toBe("boards.json: /boards/1: must have required property 'lamp'");
  });

  it('names every wrong path at once, one line each', () => {
    const two = refusal([{ ...good, lamp: { kind: 'tricolor' }, labels: { kind: 'text' } }]);
    expect([two.path, ...two.more.map((problem) => problem.path)]).toEqual([
      '/boards/0/lamp/kind',
      '/boards/0/labels',
    ]);
    expect(two.message.split('\n')).toHaveLength(2);
  });

  it('refuses a wrong value with what was expected', () => {
    expect(refusal([{ ...good, lamp: { kind: 'tricolor' } }])).toMatchObject({
      code: 'schema',
      path: '/boards/0/lamp/kind',
      rule: 'enum',
    });
    expect(refusal([{ ...good, labels: { kind: 'text' } }])).toMatchObject({
      code: 'schema',
      path: '/boards/0/labels',
      rule: 'required',
    });
  });

  it('refuses an unknown field, a duplicate id and text that is not JSON', () => {
    expect(refusal([{ ...good, grid: { rows: 1, columns: 1, colour: 'red' } }])).toMatchObject({
      code: 'schema',
      path: '/boards/0/grid',
      rule: 'additionalProperties',
    });
    expect(refusal([good, good])).toMatchObject({ code: 'duplicate-id', path: '/boards/1/id' });
    expect(refusal('{')).toMatchObject({ code: 'not-json', path: null });
    expect(() => loadBoards('/nonexistent/boards.json')).toThrow(
      expect.objectContaining({ code: 'unreadable' }) as Error,
    );
  });

  describe('driver fields', () => {
    // Entries as written in the shipped boards.json (USB ids in hex), to be spoiled one field at a time.
    type Written = Omit<Board, 'usb'> & { usb?: { vendorId: string; productIds: string[] } };
    const shipped = (JSON.parse(readFileSync(BOARDS_FILE, 'utf8')) as { boards: Written[] }).boards;
    const entry = (id: string) => structuredClone(shipped.find((board) => board.id === id)!);

    it('refuses a GPIO board without its wiring, and a pin that is not on the header', () => {
      const gpio = entry('gpio-8-bicolor');
      const { gpio: _gpio, ...unwired } = gpio;
      expect(refusal([unwired])).toMatchObject({ code: 'schema', path: '/boards/0', rule: 'required' });
      gpio.gpio!.lamps[3]!.green = 40;
      expect(refusal([gpio])).toMatchObject({ path: '/boards/0/gpio/lamps/3/green', rule: 'maximum' });
      gpio.gpio!.lamps[3]!.green = 1;
      expect(refusal([gpio])).toMatchObject({ path: '/boards/0/gpio/lamps/3/green', rule: 'minimum' });
    });

    it('refuses a GPIO line used twice, a key without its line, and a lamp of the wrong kind', () => {
      const twice = entry('gpio-8-bicolor');
      twice.gpio!.lamps[5]!.red = 17;
      const reused = refusal([twice]);
      expect(reused).toMatchObject({ code: 'line-used-twice', path: '/boards/0/gpio/lamps/5/red' });
      expect(reused.message).toBe(
        'boards.json: /boards/0/gpio/lamps/5/red: GPIO17 is already used at gpio/keys/lines/1',
      );
      const short = entry('gpio-8-bicolor');
      (short.gpio!.keys as { lines: number[] }).lines.pop();
      expect(refusal([short])).toMatchObject({ code: 'key-count', path: '/boards/0/gpio/keys/lines' });
      const mono = entry('gpio-8-bicolor');
      mono.lamp.kind = 'mono';
      expect(refusal([mono])).toMatchObject({ code: 'lamp-shape', path: '/boards/0/gpio/lamps/0' });
      const matrix = entry('gpio-16-mono');
      (matrix.gpio!.keys as { matrix: { rows: number[] } }).matrix.rows.pop();
      expect(refusal([matrix])).toMatchObject({ code: 'key-count', path: '/boards/0/gpio/keys/matrix' });
    });

    it('reads a Stream Deck’s USB ids as numbers, refusing ids not written as hex', () => {
      const deck = entry('streamdeck-15');
      expect(parse([deck])()[0]?.usb).toEqual({
        vendorId: 0x0fd9,
        productIds: [0x60, 0x6d, 0x80, 0xa5, 0xb9],
      });
      deck.usb!.productIds[1] = '4660';
      expect(refusal([deck])).toMatchObject({
        code: 'schema',
        path: '/boards/0/usb/productIds/1',
        rule: 'pattern',
      });
    });

    it('refuses a HID keypad whose reports do not fit its keys', () => {
      const keypad = entry('hid-keypad-12');
      const { hid: _hid, ...noLayout } = keypad;
      expect(refusal([noLayout])).toMatchObject({ code: 'schema', path: '/boards/0', rule: 'required' });
      keypad.hid!.output.lamps[11]!.on!.byte = 3;
      expect(refusal([keypad])).toMatchObject({
        code: 'bit-past-report',
        path: '/boards/0/hid/output/lamps/11/on/byte',
      });
      keypad.hid!.input.keys.pop();
      expect(refusal([keypad])).toMatchObject({ code: 'key-count', path: '/boards/0/hid/input/keys' });
    });
  });
});
