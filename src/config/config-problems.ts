/**
 * What is wrong with a config file, as a person reads it (BRIEF §8): each mistake one line with the file,
 * the line, the place (a key by its own number) and what was expected — the same line on a terminal, in
 * the journal and on the status page. Pure: the YAML document is given.
 */
import type { Document, LineCounter } from 'yaml';
import { UserError } from '../util/user-error.ts';

export type ConfigErrorCode =
  | 'unreadable'
  | 'not-yaml'
  /** A value the schema (config.schema.json) refuses; `rule` is the schema keyword broken. */
  | 'schema'
  | 'unknown-board'
  | 'no-panel-port'
  | 'duplicate-key'
  /** A key number the board does not have. */
  | 'no-such-key'
  | 'bad-partner'
  | 'bad-phone'
  | 'bad-list';

/** One thing wrong in a config file: where, and what. */
export interface ConfigProblem {
  /** A JSON pointer (`/keys/1/partner`), a line number, or null for the whole file. */
  where: string | number | null;
  what: string;
  /** For `schema`: the schema keyword broken (`required`, `enum`, `type`, …). */
  rule: string | null;
  /** The line of the file it is on, where known. */
  line: number | null;
  /** The place in words: the key's own number for a key (`key 3 partner`), else the JSON pointer. */
  place: string | null;
  code: ConfigErrorCode;
}

/**
 * A problem found, before its line and place are known; `lineOf` where its line is another value's
 * (a missing panel port is said at the board that needs it).
 */
export type Found = Pick<ConfigProblem, 'code' | 'where' | 'what' | 'rule'> & { lineOf?: string };

export class ConfigError extends UserError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
  /** Where the first problem is (the others are in `problems`). */
  readonly where: string | number | null;
  readonly rule: string | null;
  /** Every problem found, in the order of the file's lines, each a line of the message. */
  readonly problems: readonly ConfigProblem[];

  constructor(
    /** The file. */
    readonly source: string,
    problems: readonly ConfigProblem[],
  ) {
    const first = problems[0]!;
    super(first.code, problems.map((problem) => problemLine(source, problem)).join('\n'));
    this.where = first.where;
    this.rule = first.rule;
    this.problems = problems;
  }
}

/** A whole-file problem (unreadable, not YAML at all): no line, no place. */
export function fileProblem(code: ConfigErrorCode, what: string): ConfigProblem {
  return { code, what, where: null, rule: null, line: null, place: null };
}

/** `file:line: place: what`, the one form of a config mistake on a terminal, in the journal and on the page. */
export function problemLine(source: string, problem: ConfigProblem): string {
  return `${source}${problem.line == null ? '' : `:${problem.line}`}: ${problemText(problem)}`;
}

/** The mistake without its file: `place: what`. */
export function problemText({ place, what }: ConfigProblem): string {
  return place == null ? what : `${place}: ${what}`;
}

/**
 * A JSON pointer in words: under `keys`, the key's own number (keys count from 1 and may be in any
 * order; the pointer counts entries from 0), else the pointer itself.
 */
export function placeOf(where: string | number | null, data: unknown): string | null {
  if (typeof where !== 'string') return null;
  const match = /^\/keys\/(\d+)(\/.*)?$/.exec(where);
  if (match == null) return where;
  const entry = (data as { keys?: unknown[] }).keys?.[Number(match[1])];
  const number = isRecord(entry) && Number.isInteger(entry['key']) ? Number(entry['key']) : null;
  const key = number == null ? `keys entry ${Number(match[1]) + 1}` : `key ${number}`;
  // `/keys/4/key` is the key's number itself: `key 0`, not `key 0 key`.
  return match[2] == null || match[2] === '/key' ? key : `${key} ${match[2].slice(1)}`;
}

/**
 * The line a JSON pointer's value starts on, or its nearest parent's (a missing property is reported
 * at the object that lacks it).
 */
export function lineOfPath(document: Document, lines: LineCounter, pointer: string | null): number | null {
  if (pointer == null) return null;
  const path = pointer
    .split('/')
    .slice(1)
    .filter((part) => part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part.replaceAll('~1', '/').replaceAll('~0', '~')));
  for (let length = path.length; length >= 0; length--) {
    const node = length === 0 ? document.contents : document.getIn(path.slice(0, length), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range != null) return lines.linePos(range[0]).line;
  }
  return null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value != null && !Array.isArray(value);
}
