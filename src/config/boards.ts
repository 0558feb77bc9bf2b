/**
 * boards.json: the table of panel hardware (BRIEF §5), validated against boards.schema.json at load. A
 * wrong entry is refused with the file, the JSON path and what was expected; nothing is half-loaded.
 */
import { readFileSync } from 'node:fs';
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
  const boards = (data as { boards: Board[] }).boards;
  const seen = new Set<string>();
  boards.forEach((board, index) => {
    if (seen.has(board.id))
      throw new BoardsError(`${source}: /boards/${index}/id: "${board.id}" is used twice`);
    seen.add(board.id);
  });
  return boards;
}

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
