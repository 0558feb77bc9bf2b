/**
 * boards.json: the table of panel hardware (BRIEF §5), validated against boards.schema.json at load. A
 * wrong entry is refused with the file, the JSON path and what was expected; nothing is half-loaded.
 */
import { readFileSync } from 'node:fs';
import { DEVICE_MODELS, DeviceModelType } from '@elgato-stream-deck/core';
import { Ajv } from 'ajv';
import type { LampCapability } from '../blf/lamp-policy.ts';
import { describeSchemaError } from './schema-errors.ts';

export interface Board {
  id: string;
  name: string;
  driver: 'console' | 'serial' | 'gpio' | 'streamdeck' | 'hid';
  grid: { rows: number; columns: number; pages: number };
  lamp: { kind: LampCapability; hardwarePatterns: boolean };
  labels: { kind: 'none' } | { kind: 'text'; chars: number };
  /** Serial modules: the UART rate (USB CDC-ACM ignores it). */
  serial?: { baudRate: number };
  gpio?: GpioWiring;
  /** USB boards: the ids the device announces, as numbers (boards.json writes them in hex). */
  usb?: { vendorId: number; productIds: number[] };
  hid?: HidReportLayout;
}

/** GPIO line numbers are BCM numbers (GPIO2…GPIO27 on the 40-pin header). */
export interface GpioWiring {
  keys: { lines: number[] } | { matrix: { rows: number[]; columns: number[] } };
  /** One per key: `on` (mono), `red` + `green` (bicolor), `red` + `green` + `blue` (rgb). */
  lamps: LampLines<number>[];
  activeLow: boolean;
  debounceMs: number;
}

export interface LampLines<T> {
  on?: T;
  red?: T;
  green?: T;
  blue?: T;
}

export type LampLine = keyof LampLines<unknown>;

/** The lines (or bits) of one key's lamp, each with its color. */
export function lampEntries<T>(lamp: LampLines<T>): [LampLine, T][] {
  return (Object.entries(lamp) as [LampLine, T | undefined][]).filter(
    (entry): entry is [LampLine, T] => entry[1] !== undefined,
  );
}

export interface ReportBit {
  byte: number;
  bit: number;
}

/** A generic HID keypad's reports; byte 0 of each is the report id. */
export interface HidReportLayout {
  input: { reportId: number; activeLow: boolean; keys: ReportBit[] };
  output: { reportId: number; length: number; lamps: LampLines<ReportBit>[] };
}

/** The number of keys a board has: its grid times its pages. */
export function keyCount(board: Pick<Board, 'grid'>): number {
  return board.grid.rows * board.grid.columns * board.grid.pages;
}

export const BOARDS_FILE = new URL('../../boards.json', import.meta.url);
const SCHEMA_FILE = new URL('../../boards.schema.json', import.meta.url);

export class BoardsError extends Error {
  override readonly name = 'BoardsError';
}

/** Reads and validates a boards table; throws BoardsError with a one-line message. */
export function parseBoards(text: string, source: string): Board[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BoardsError(`${source}: not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const validate = boardsValidator();
  if (!validate(data)) throw new BoardsError(`${source}: ${describeSchemaError(validate.errors)}`);
  const raw = (
    data as { boards: (Omit<Board, 'usb'> & { usb?: { vendorId: string; productIds: string[] } })[] }
  ).boards;
  const seen = new Set<string>();
  return raw.map((entry, index) => {
    const where = `${source}: /boards/${index}`;
    if (seen.has(entry.id)) throw new BoardsError(`${where}/id: "${entry.id}" is used twice`);
    seen.add(entry.id);
    const { usb, ...rest } = entry;
    const board: Board =
      usb == null
        ? rest
        : { ...rest, usb: { vendorId: hex(usb.vendorId), productIds: usb.productIds.map(hex) } };
    const problem = wiringProblem(board);
    if (problem != null) throw new BoardsError(`${where}/${problem}`);
    return board;
  });
}

const hex = (id: string) => Number.parseInt(id, 16);

/** Which lamp lines (or report bits) a key of each lamp kind has (BRIEF §5). */
const LAMP_SHAPES: Readonly<Record<LampCapability, readonly (keyof LampLines<unknown>)[]>> = {
  none: [],
  mono: ['on'],
  bicolor: ['red', 'green'],
  rgb: ['red', 'green', 'blue'],
};

/**
 * What the schema cannot say: one key wiring per key, lamps shaped as the lamp kind, no GPIO line used
 * twice, Stream Deck ids that @elgato-stream-deck knows. Returns "json/path: what is wrong", or null.
 */
function wiringProblem(board: Board): string | null {
  const keys = keyCount(board);
  const shape = LAMP_SHAPES[board.lamp.kind];
  const lampProblem = (lamps: LampLines<unknown>[], path: string): string | null => {
    if (lamps.length !== keys) return `${path}: has ${lamps.length} entries, the grid has ${keys} keys`;
    for (const [index, lamp] of lamps.entries()) {
      const fields = Object.keys(lamp).sort();
      if (fields.join() !== [...shape].sort().join())
        return `${path}/${index}: a ${board.lamp.kind} lamp needs ${shape.length === 0 ? 'no lines' : shape.join(', ')}, found ${fields.join(', ') || 'none'}`;
    }
    return null;
  };
  if (board.gpio != null) {
    const wiring = board.gpio;
    const used = new Map<number, string>();
    const claim = (line: number, path: string): string | null => {
      const before = used.get(line);
      if (before != null) return `${path}: GPIO${line} is already used at gpio/${before}`;
      used.set(line, path);
      return null;
    };
    const lines: [number, string][] = [];
    if ('lines' in wiring.keys) {
      if (wiring.keys.lines.length !== keys)
        return `gpio/keys/lines: has ${wiring.keys.lines.length} lines, the grid has ${keys} keys`;
      wiring.keys.lines.forEach((line, i) => lines.push([line, `keys/lines/${i}`]));
    } else {
      const { rows, columns } = wiring.keys.matrix;
      if (rows.length * columns.length !== keys)
        return `gpio/keys/matrix: ${rows.length} rows × ${columns.length} columns is not the grid's ${keys} keys`;
      rows.forEach((line, i) => lines.push([line, `keys/matrix/rows/${i}`]));
      columns.forEach((line, i) => lines.push([line, `keys/matrix/columns/${i}`]));
    }
    const lamps = lampProblem(wiring.lamps, 'gpio/lamps');
    if (lamps != null) return lamps;
    wiring.lamps.forEach((lamp, i) => {
      for (const [color, line] of lampEntries(lamp)) lines.push([line, `lamps/${i}/${color}`]);
    });
    for (const [line, path] of lines) {
      const problem = claim(line, path);
      if (problem != null) return `gpio/${problem}`;
    }
  }
  if (board.hid != null) {
    if (board.hid.input.keys.length !== keys)
      return `hid/input/keys: has ${board.hid.input.keys.length} entries, the grid has ${keys} keys`;
    const lamps = lampProblem(board.hid.output.lamps, 'hid/output/lamps');
    if (lamps != null) return lamps;
    for (const [index, lamp] of board.hid.output.lamps.entries()) {
      for (const [color, bit] of lampEntries(lamp))
        if (bit.byte >= board.hid.output.length)
          return `hid/output/lamps/${index}/${color}/byte: ${bit.byte} is past the report's ${board.hid.output.length} bytes`;
    }
  }
  if (board.driver === 'streamdeck' && board.usb != null) {
    const { vendorId, productIds } = board.usb;
    for (const [index, productId] of productIds.entries()) {
      if (streamDeckModel(vendorId, productId) == null)
        return `usb/productIds/${index}: ${usbId(vendorId)}:${usbId(productId)} is not a Stream Deck that @elgato-stream-deck/core knows (${STREAM_DECKS.map((model) => `${model.id} ${usbId(model.vendorId)}:${model.productIds.map(usbId).join('/')}`).join(', ')})`;
    }
  }
  return null;
}

/** The Stream Deck model with these USB ids, if @elgato-stream-deck/core knows it. */
export function streamDeckModel(vendorId: number, productId: number): (typeof DEVICE_MODELS)[number] | null {
  return (
    STREAM_DECKS.find((model) => model.vendorId === vendorId && model.productIds.includes(productId)) ?? null
  );
}

const STREAM_DECKS = DEVICE_MODELS.filter((model) => model.type === DeviceModelType.STREAMDECK);

export const usbId = (id: number) => `0x${id.toString(16).padStart(4, '0')}`;

export function loadBoards(file: URL | string = BOARDS_FILE): Board[] {
  const path = typeof file === 'string' ? file : file.pathname;
  return parseBoards(readFileSync(file, 'utf8'), path);
}

let compiled: ReturnType<Ajv['compile']> | null = null;
function boardsValidator(): ReturnType<Ajv['compile']> {
  // useDefaults fills `pages`, `hardwarePatterns` from the schema, so the Board type holds.
  compiled ??= new Ajv({ allErrors: false, useDefaults: true }).compile(
    JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object,
  );
  return compiled;
}
