/**
 * The config file a run reads, with its board from the shipped boards.json as the drivers check it too
 * (hw/board-rules.ts). Throws ConfigError or BoardsError, each one line that says where.
 */
import { DRIVER_RULES } from '../../hw/board-rules.ts';
import { constants, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { packageFile } from '../util/package-files.ts';
import { BOARDS_FILE, BoardsError, loadBoards } from '../config/boards.ts';
import {
  configHints,
  loadConfig,
  parseConfigLayers,
  problemText,
  type Config,
  type ConfigError,
  type ConfigHints,
  type ConfigLayer,
} from '../config/config.ts';

export function readConfigFile(path: string): Config {
  return loadConfig(path, loadBoards(BOARDS_FILE, DRIVER_RULES));
}

/** The config file at `path` with `over` (a fetched file, src/app/provisioning.ts) over it, as one config. */
export function readConfigLayers(path: string, over?: ConfigLayer): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return readConfigFile(path); // says why it cannot be read, as a run does
  }
  const layers = [{ text, source: path }, ...(over == null ? [] : [over])];
  return parseConfigLayers(layers, loadBoards(BOARDS_FILE, DRIVER_RULES));
}

/** A config that did not load: the file (null when there is none), and each mistake for a page to show. */
export interface ConfigFailure {
  path: string | null;
  /** One per mistake, with its line where known: `line 3: /pbx/transport: must be one of "udp", "tcp"`, `line 9: key 3: …`. */
  problems: string[];
  /** What the file still tells (the board, the page), for showing the mistake there. */
  hints: ConfigHints;
}

/** What went wrong reading the config at `path`: the error thrown, or (no file at all) a sentence. */
export function configFailure(path: string | null, error: ConfigError | BoardsError | string): ConfigFailure {
  let text = '';
  try {
    if (path != null) text = readFileSync(path, 'utf8');
  } catch {
    // Unreadable: the problem says so; nothing more to tell.
  }
  return { path, problems: problemsOf(error), hints: configHints(text) };
}

/** Each mistake as the status page lists it (the file is named above the list): the line, the place, what. */
function problemsOf(error: ConfigError | BoardsError | string): string[] {
  if (typeof error === 'string') return [error];
  if (error instanceof BoardsError) return error.message.split('\n');
  return error.problems.map((problem) =>
    problem.line == null ? problemText(problem) : `line ${problem.line}: ${problemText(problem)}`,
  );
}

/** The commented example config that ships with lampfield (every section; `lampfield init` writes it). */
export const EXAMPLE_CONFIG = packageFile('lampfield.example.yaml');

/**
 * `lampfield init`: the example config at `path`, its folder made if missing. Never over an existing
 * file (a config someone wrote is not lost): Node's EEXIST error then, which the command words.
 */
export function writeExampleConfig(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  copyFileSync(EXAMPLE_CONFIG, path, constants.COPYFILE_EXCL);
}
