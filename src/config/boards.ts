/**
 * boards.json: the table of panel hardware (BRIEF §5), validated against boards.schema.json at load. A
 * wrong entry is refused with the file, the JSON path and what was expected; nothing is half-loaded.
 */
import { readFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import type { LampCapability } from '../blf/lamp-policy.ts';
import { packageFile } from '../util/package-files.ts';
import { UserError } from '../util/user-error.ts';
import { describeSchemaErrors, type SchemaProblem } from './schema-errors.ts';
import { schemaValidator } from './schema-validators.ts';

export interface Board {
  id: string;
  name: string;
  driver: 'console' | 'serial' | 'gpio' | 'streamdeck' | 'hid';
  grid: { rows: number; columns: number; pages: number };
  /**
   * How pages are turned: the module's own page keys (the module keeps every page, PROTOCOL.md §7.4), or
   * the grid's last key turning pages that lampfield keeps (config `pages`, src/panel/paged-panel.ts).
   * Without it, the board has no page key.
   */
  pageKeys?: { kind: 'module'; count: number } | { kind: 'last-key' };
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

/**
 * The board as keys are numbered on it with `pages` pages in software (config `pages`): its grid on
 * that many pages, the last key of each the page key (src/panel/paged-panel.ts). The board itself for 1.
 */
export function pagedBoard(board: Board, pages: number): Board {
  return pages <= 1 ? board : { ...board, grid: { ...board.grid, pages } };
}

/** The page key of a board paged in software: the grid's last key (1-based, on every page). */
export function pageKeySlot(board: Pick<Board, 'grid'>): number {
  return board.grid.rows * board.grid.columns;
}

/** The number of keys a board has: its grid times its pages. */
export function keyCount(board: Pick<Board, 'grid'>): number {
  return board.grid.rows * board.grid.columns * board.grid.pages;
}

export const BOARDS_FILE = packageFile('boards.json');

export type BoardsErrorCode =
  | 'unreadable'
  | 'not-json'
  /** A value the schema (boards.schema.json) refuses; `rule` is the schema keyword broken. */
  | 'schema'
  | 'duplicate-id'
  /** Key wirings, lamps or report keys that do not number the grid's keys. */
  | 'key-count'
  /** A lamp whose lines (or bits) are not those of its lamp kind. */
  | 'lamp-shape'
  | 'line-used-twice'
  | 'bit-past-report'
  /** A USB id the board's driver does not know (a rule of the driver's, `BoardRule`). */
  | 'unknown-device'
  /** Page keys that do not fit the board's pages or driver. */
  | 'page-keys';

export class BoardsError extends UserError<BoardsErrorCode> {
  override readonly name = 'BoardsError';

  constructor(
    code: BoardsErrorCode,
    /** The file. */
    readonly source: string,
    /** The JSON pointer of what is wrong (`/boards/3/gpio/lamps/5/red`); null for the whole file. */
    readonly path: string | null,
    what: string,
    /** For `schema`: the schema keyword broken. */
    readonly rule: string | null = null,
    /** The other problems the schema found, each a line of the message. */
    readonly more: readonly SchemaProblem[] = [],
  ) {
    const line = (at: string | null, detail: string) => `${source}${at == null ? '' : `: ${at}`}: ${detail}`;
    super(code, [line(path, what), ...more.map((problem) => line(problem.path, problem.detail))].join('\n'));
  }
}

/** What is wrong with a board, at a path inside its entry (`gpio/keys/lines`). */
export interface BoardProblem {
  code: BoardsErrorCode;
  path: string;
  what: string;
}

/** A check of a driver's own (the Stream Deck's known USB ids, hw/hid/stream-deck-models.ts). */
export type BoardRule = (board: Board) => BoardProblem | null;

/** Reads and validates a boards table, with the drivers' `rules` too; throws BoardsError in one line. */
export function parseBoards(text: string, source: string, rules: readonly BoardRule[] = []): Board[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new BoardsError('not-json', source, null, `not JSON: ${why}`);
  }
  const validate = boardsValidator();
  if (!validate(data)) {
    const [first, ...more] = describeSchemaErrors(validate.errors);
    throw new BoardsError('schema', source, first!.path, first!.detail, first!.rule, more);
  }
  const raw = (
    data as { boards: (Omit<Board, 'usb'> & { usb?: { vendorId: string; productIds: string[] } })[] }
  ).boards;
  const seen = new Set<string>();
  return raw.map((entry, index) => {
    const where = `/boards/${index}`;
    if (seen.has(entry.id))
      throw new BoardsError('duplicate-id', source, `${where}/id`, `"${entry.id}" is used twice`);
    seen.add(entry.id);
    const { usb, ...rest } = entry;
    const board: Board =
      usb == null
        ? rest
        : { ...rest, usb: { vendorId: hex(usb.vendorId), productIds: usb.productIds.map(hex) } };
    for (const rule of [wiringProblem, pageKeysProblem, ...rules]) {
      const problem = rule(board);
      if (problem != null)
        throw new BoardsError(problem.code, source, `${where}/${problem.path}`, problem.what);
    }
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
 * twice, report bits inside their report.
 */
function wiringProblem(board: Board): BoardProblem | null {
  const keys = keyCount(board);
  const shape = LAMP_SHAPES[board.lamp.kind];
  const lampProblem = (lamps: LampLines<unknown>[], path: string): BoardProblem | null => {
    if (lamps.length !== keys)
      return { code: 'key-count', path, what: `has ${lamps.length} entries, the grid has ${keys} keys` };
    for (const [index, lamp] of lamps.entries()) {
      const fields = Object.keys(lamp).sort();
      if (fields.join() !== [...shape].sort().join()) {
        const needs = shape.length === 0 ? 'no lines' : shape.join(', ');
        const what = `a ${board.lamp.kind} lamp needs ${needs}, found ${fields.join(', ') || 'none'}`;
        return { code: 'lamp-shape', path: `${path}/${index}`, what };
      }
    }
    return null;
  };
  if (board.gpio != null) {
    const wiring = board.gpio;
    const lines: [number, string][] = [];
    if ('lines' in wiring.keys) {
      const count = wiring.keys.lines.length;
      if (count !== keys)
        return {
          code: 'key-count',
          path: 'gpio/keys/lines',
          what: `has ${count} lines, the grid has ${keys} keys`,
        };
      wiring.keys.lines.forEach((line, i) => lines.push([line, `keys/lines/${i}`]));
    } else {
      const { rows, columns } = wiring.keys.matrix;
      if (rows.length * columns.length !== keys) {
        const what = `${rows.length} rows × ${columns.length} columns is not the grid's ${keys} keys`;
        return { code: 'key-count', path: 'gpio/keys/matrix', what };
      }
      rows.forEach((line, i) => lines.push([line, `keys/matrix/rows/${i}`]));
      columns.forEach((line, i) => lines.push([line, `keys/matrix/columns/${i}`]));
    }
    const lamps = lampProblem(wiring.lamps, 'gpio/lamps');
    if (lamps != null) return lamps;
    wiring.lamps.forEach((lamp, i) => {
      for (const [color, line] of lampEntries(lamp)) lines.push([line, `lamps/${i}/${color}`]);
    });
    const used = new Map<number, string>();
    for (const [line, path] of lines) {
      const before = used.get(line);
      if (before != null)
        return {
          code: 'line-used-twice',
          path: `gpio/${path}`,
          what: `GPIO${line} is already used at gpio/${before}`,
        };
      used.set(line, path);
    }
  }
  if (board.hid != null) {
    const count = board.hid.input.keys.length;
    if (count !== keys)
      return {
        code: 'key-count',
        path: 'hid/input/keys',
        what: `has ${count} entries, the grid has ${keys} keys`,
      };
    const lamps = lampProblem(board.hid.output.lamps, 'hid/output/lamps');
    if (lamps != null) return lamps;
    const { length } = board.hid.output;
    for (const [index, lamp] of board.hid.output.lamps.entries()) {
      for (const [color, bit] of lampEntries(lamp))
        if (bit.byte >= length)
          return {
            code: 'bit-past-report',
            path: `hid/output/lamps/${index}/${color}/byte`,
            what: `${bit.byte} is past the report's ${length} bytes`,
          };
    }
  }
  return null;
}

/**
 * Page keys the board can have: the module's own (on a serial module with pages: one turning to the
 * next page, or one per page, PROTOCOL.md §7.4), or the last key of a board without pages of its own.
 */
function pageKeysProblem(board: Board): BoardProblem | null {
  const { pageKeys, grid } = board;
  if (pageKeys == null) return null;
  const problem = (what: string): BoardProblem => ({ code: 'page-keys', path: 'pageKeys', what });
  if (pageKeys.kind === 'last-key')
    return grid.pages > 1
      ? problem(`a board with ${grid.pages} pages of its own has no last-key page key`)
      : null;
  if (board.driver !== 'serial') return problem('only the serial module has page keys of its own');
  if (grid.pages < 2) return problem('the module has one page: it has no page keys');
  if (pageKeys.count !== 1 && pageKeys.count !== grid.pages)
    return problem(`${pageKeys.count} page keys for ${grid.pages} pages: one, or one per page`);
  return null;
}

export const usbId = (id: number) => `0x${id.toString(16).padStart(4, '0')}`;

/** Reads a boards table (the shipped boards.json unless told), checked with the drivers' `rules`. */
export function loadBoards(file: URL | string = BOARDS_FILE, rules: readonly BoardRule[] = []): Board[] {
  const path = typeof file === 'string' ? file : file.pathname;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new BoardsError('unreadable', path, null, `cannot read: ${why}`);
  }
  return parseBoards(text, path, rules);
}

let compiled: ValidateFunction | null = null;
function boardsValidator(): ValidateFunction {
  compiled ??= schemaValidator('boards');
  return compiled;
}
