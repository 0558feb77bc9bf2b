/**
 * What each command takes, said once: `lampfield help COMMAND`, `lampfield COMMAND --help`, the top-level
 * help and each command's usage line after an argument error all come from this table.
 */
import { DIALECT_NAMES } from '../blf/dialects.ts';
import { SIM_DEFAULTS } from '../app/sim-defaults.ts';
import { loadBoards } from '../config/boards.ts';

interface CommandHelp {
  /** What the command does, one line. */
  summary: string;
  /** The arguments after the command name, as the usage line shows them. */
  synopsis: string;
  /** Every option and operand: [as typed, what it means]; a function when it reads boards.json. */
  options: readonly (readonly [string, string])[] | (() => readonly (readonly [string, string])[]);
}

const DIALECTS = DIALECT_NAMES.join('|');
const CONFIG = [
  '--config FILE',
  'the config (YAML); default: the first of /etc/lampfield/config.yaml, ./lampfield.yaml',
] as const;
const LOG_JSON = [
  '--log-json',
  'log lines as JSON even on a terminal (they are JSON wherever standard error is not a terminal)',
] as const;
const FIRMWARE = [
  '--firmware FILE',
  'run the module’s real firmware (firmware/: its .elf, .uf2 or .bin, board module-20rgb) on an emulated RP2040 instead of the simulator',
] as const;

export const COMMAND_HELP = {
  run: {
    summary: 'watch the PBX and drive the configured board',
    synopsis: '[--config FILE] [--service] [--log-json]',
    options: [
      CONFIG,
      [
        '--service',
        'as the systemd unit runs it: a config mistake shows on the panel and the page instead of ending the run',
      ],
      LOG_JSON,
    ],
  },
  sim: {
    summary: 'everything simulated: PBX, calls, module; the panel on a web page and in the terminal',
    synopsis: `[--dialect ${DIALECTS}] [--keys N] [--board ID] [--port PAGE_PORT] [--seed S] [--rate CALLS_PER_MINUTE] [--expires SECONDS] [--firmware FILE] [--json] [--log-json]`,
    options: () => [
      [
        '--dialect D',
        `how the simulated PBX writes its NOTIFYs: ${DIALECT_NAMES.join(', ')} (default ${SIM_DEFAULTS.dialect})`,
      ],
      ['--keys N', `partner keys, 1 to the board’s key count (default ${SIM_DEFAULTS.keys})`],
      ['--board ID', `a module board of boards.json: ${moduleBoards(SIM_DEFAULTS.board)}`],
      [
        '--port PAGE_PORT',
        `the page’s port (default ${SIM_DEFAULTS.pagePort}, or a free one if it is taken; 0: any free one)`,
      ],
      ['--seed S', `the generated calls’ random seed, a number (default ${SIM_DEFAULTS.seed})`],
      ['--rate CALLS_PER_MINUTE', `generated calls per minute, 0 or more (default ${SIM_DEFAULTS.rate})`],
      ['--expires SECONDS', 'the subscription duration lampfield asks for, 30..86400 (default 600)'],
      FIRMWARE,
      ['--json', 'the terminal panel as one JSON line per change instead of a drawing'],
      LOG_JSON,
    ],
  },
  init: {
    summary: 'write a commented example config where run and doctor look for it',
    synopsis: '[--config FILE]',
    options: [
      [
        '--config FILE',
        'where to write it; default /etc/lampfield/config.yaml as root, else ./lampfield.yaml (never over an existing file)',
      ],
    ],
  },
  doctor: {
    summary: 'check the config, the board and the PBX; say how to fix what fails',
    synopsis: '[--config FILE]',
    options: [CONFIG],
  },
  'install-service': {
    summary: 'install the systemd unit and udev rules (as root), start at boot',
    synopsis: '--user NAME [--root DIR]',
    options: [
      ['--user NAME', 'the system user lampfield runs as (needed)'],
      ['--root DIR', 'write under DIR instead of / (for building an image)'],
    ],
  },
  decode: {
    summary: 'read NOTIFY messages or dialog-info bodies, print one JSON line each',
    synopsis: `[--dialect auto|${DIALECTS}] FILE...`,
    options: [
      [
        '--dialect D',
        `the PBX family that wrote them: ${DIALECT_NAMES.join(', ')}, or auto (what run's pbx.dialect: auto would choose from them, said on standard error; default generic)`,
      ],
      ['FILE...', 'files holding a NOTIFY or a dialog-info body; - reads standard input'],
    ],
  },
  module: {
    summary:
      'the expansion module’s firmware simulator (or its real firmware, emulated), for a host to drive',
    synopsis: '[--tcp PORT | --serial PATH] [--board ID] [--firmware FILE] [--json]',
    options: () => [
      ['--tcp PORT', 'serve the module’s serial line on 127.0.0.1:PORT'],
      ['--serial PATH', 'speak on a serial device, such as one end of a socat pty pair'],
      ['--board ID', `a module board of boards.json: ${moduleBoards('module-20rgb')}`],
      FIRMWARE,
      ['--json', 'the module’s lamps as JSON lines instead of a drawing'],
    ],
  },
  update: {
    summary: 'install a signed update bundle into the other root slot (as root, on the card image)',
    synopsis: 'FILE|URL',
    options: [['FILE|URL', 'lampfield-<version>-arm64.raucb, a file or an https:// URL']],
  },
} as const satisfies Record<string, CommandHelp>;

/** The module boards of boards.json, the default marked: read when a help is shown, not at start-up. */
function moduleBoards(fallback: string): string {
  return loadBoards()
    .filter((board) => board.driver === 'serial')
    .map((board) => (board.id === fallback ? `${board.id} (default)` : board.id))
    .join(', ');
}

export type CommandName = keyof typeof COMMAND_HELP;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMAND_HELP, name);
}

/** Edits (insertions, deletions, changes, swaps of neighbours) from `a` to `b`: Damerau–Levenshtein, small. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const change = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + change);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  return rows[a.length]![b.length]!;
}

/** The one of `candidates` that `word` is a slip for (an edit or two away, less than half of it), or null. */
export function meant(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let distance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const edits = editDistance(word.toLowerCase(), candidate);
    if (edits < distance) [best, distance] = [candidate, edits];
  }
  return best != null && distance > 0 && distance <= Math.min(2, Math.floor(best.length / 2)) ? best : null;
}

/** The line of an unknown command, with the command meant where it looks like a slip. */
export function unknownCommandLine(name: string): string {
  const guess = meant(name, Object.keys(COMMAND_HELP));
  const hint = guess == null ? '' : ` (did you mean "${guess}"?)`;
  return `lampfield: unknown command "${name}"${hint}; one of ${Object.keys(COMMAND_HELP).join(', ')} (lampfield help)`;
}

/** The lines after an unknown argument of `command`: with the option meant, and the usage line. */
export function unknownArgumentLines(command: CommandName, arg: string): string {
  const help: CommandHelp = COMMAND_HELP[command];
  const options = (typeof help.options === 'function' ? help.options() : help.options)
    .map(([option]) => option.split(' ')[0]!)
    .filter((option) => option.startsWith('-'));
  const guess = arg.startsWith('-') ? meant(arg.split('=')[0]!, options) : null;
  const hint = guess == null ? '' : ` (did you mean ${guess}?)`;
  return `lampfield ${command}: unknown argument ${arg}${hint}\n${usageLine(command)}`;
}

/** `usage: lampfield COMMAND ...`, the line shown after an argument error. */
export function usageLine(command: CommandName): string {
  return `usage: lampfield ${command} ${COMMAND_HELP[command].synopsis}`;
}

/** `lampfield help COMMAND`: the usage line, what it does and every option. */
export function commandHelp(command: CommandName): string {
  const help: CommandHelp = COMMAND_HELP[command];
  const options = typeof help.options === 'function' ? help.options() : help.options;
  const width = Math.max(...options.map(([option]) => option.length));
  return [
    usageLine(command),
    '',
    help.summary,
    '',
    ...options.map(([option, meaning]) => `  ${option.padEnd(width)}  ${meaning}`),
  ].join('\n');
}

/** `lampfield help`: every command. */
export function overallHelp(): string {
  const names = Object.keys(COMMAND_HELP) as CommandName[];
  const width = Math.max(...names.map((name) => name.length));
  return [
    'usage: lampfield <command> [options]',
    '',
    'commands:',
    ...names.map((name) => `  ${name.padEnd(width)}  ${COMMAND_HELP[name].summary}`),
    '',
    'lampfield help COMMAND (or lampfield COMMAND --help) lists its options; lampfield --version its version.',
    'See README.md for what each config field means and which dialect to choose.',
  ].join('\n');
}
