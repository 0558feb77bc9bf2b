/**
 * The simulated module for a person or a script (`lampfield module`, `lampfield sim`). On a person's
 * screen it keeps a block at the top — the header it is given (the page's address, the hints), the
 * module's state, its keys, a legend — rewritten in place when something changes (terminal-screen.ts),
 * with log lines and typing scrolling beneath. It takes `press N` and `long N` on the terminal's input
 * (pressing the module's own switches; a key on a page out of view after its page key) and `page P`
 * (page key P). With `json` it prints one line per change: each key as the console board prints it when
 * the keys' states are known (the simulator), else what the module keeps for each key; the module's
 * state; the page it shows and its page keys' lamps.
 */
import { createInterface } from 'node:readline';
import type { ModuleDevice } from '../../firmware-sim/sim/module-device.ts';
import { pressAsPerson } from '../../firmware-sim/sim/module-person.ts';
import type { LampColor } from '../../firmware-sim/protocol/lamp.ts';
import type { Terminal } from '../../hw/open-board.ts';
import { LAMP_SITUATIONS, type LampSituation } from '../blf/lamp-policy.ts';
import { keyLine } from '../panel/console-board.ts';
import type { KeyView } from '../panel/panel.ts';
import { STATE_MARKS } from '../panel/state-marks.ts';
import type { Clock } from '../util/clock.ts';
import { FixedScreen } from './terminal-screen.ts';

export interface ViewIo {
  stdout(line: string): void;
  stderr(line: string): void;
}

export interface ViewSetup {
  /** One JSON line per change instead of the drawing. */
  json: boolean;
  /** Lines kept at the top of a screen (the page's address, the hints); said once on standard error otherwise. */
  header?: readonly string[];
  /** Said beside the module's state (the simulator's desk phone). */
  status?: () => string;
  /** What the last press did, on a line of its own on a screen (the simulator). */
  lastPress?: () => string;
  /** What lampfield shows on each key, where it runs beside the module (the simulator): states and callers. */
  keys?: () => readonly KeyView[];
  /** Where the commands come from, and whether it is a screen to draw on. */
  terminal: Terminal;
  clock: Clock;
}

/** How often the module is looked at: each change once for a script; for a person, soon enough. */
const LOOK_MS = { json: 20, screen: 100 } as const;

export function showModule(firmware: ModuleDevice, io: ViewIo, setup: ViewSetup): { stop(): void } {
  const { json, terminal, clock } = setup;
  const status = setup.status ?? (() => '');
  const keys = firmware.hardware.keys.length;
  const pageKeys = firmware.hardware.pageKeys.length;
  const input = terminal.input == null ? null : createInterface({ input: terminal.input });
  input?.on('line', (line) => {
    const match = /^\s*(press|long|page)\s+(\d+)\s*$/.exec(line);
    const number = Number(match?.[2]);
    if (match?.[1] === 'page' && number >= 1 && number <= pageKeys) {
      firmware.pressPageKey(number - 1);
      clock.after(60, () => firmware.releasePageKey(number - 1));
      return;
    }
    if (match?.[1] !== 'page' && pressAsPerson(firmware, number, match?.[1] === 'long' ? 800 : 120, clock))
      return;
    if (line.trim() === '') return;
    const pages = pageKeys > 0 ? ` or "page P" (1..${pageKeys})` : '';
    io.stderr(`"${line.trim()}" is not "press N" or "long N" (1..${keys})${pages}`);
  });
  const screen = json || terminal.screen == null ? null : new FixedScreen(terminal.screen, () => look());
  if (screen == null) for (const line of setup.header ?? []) io.stderr(line);
  const colors = terminal.screen?.colors === true;

  let lastState = '';
  let lastStatus = '';
  let lastPage = '';
  const lastKeys = new Map<number, string>();
  const say = (key: number, text: string) => {
    if (text !== lastKeys.get(key)) io.stdout(text);
    lastKeys.set(key, text);
  };
  const look = () => {
    if (screen != null) {
      screen.show([
        ...(setup.header ?? []).flatMap((line) => wrap(line, screen.columns)),
        ...drawModule(
          firmware,
          screen.columns,
          status(),
          setup.keys?.() ?? null,
          setup.lastPress?.() ?? null,
          colors,
        ),
      ]);
      return;
    }
    if (!json) return;
    if (firmware.state !== lastState) io.stdout(JSON.stringify({ state: firmware.state }));
    lastState = firmware.state;
    const now = status();
    if (now !== lastStatus && now !== '') io.stdout(JSON.stringify({ status: now }));
    lastStatus = now;
    const views = setup.keys?.();
    if (views != null) for (const view of views) say(view.key, keyLine(view));
    else
      for (let key = 0; key < keys; key++) {
        const lamp = firmware.lamp(key);
        say(
          key + 1,
          JSON.stringify({
            key: key + 1,
            color: lamp?.color ?? 'off',
            pattern: lamp?.pattern ?? 'off',
            label: firmware.label(key),
          }),
        );
      }
    if (firmware.hardware.pages > 1) {
      const lamps = Array.from({ length: pageKeys }, (_, index) => firmware.pageKeyLamp(index));
      const page = JSON.stringify({ page: firmware.shownPage + 1, pageKeys: lamps });
      if (page !== lastPage) io.stdout(page);
      lastPage = page;
    }
  };
  let cancel: () => void = () => undefined;
  const every = () => {
    look();
    cancel = clock.after(json ? LOOK_MS.json : LOOK_MS.screen, every);
  };
  if (screen != null) look(); // the header at once: the address is the first thing a person needs
  cancel = clock.after(json ? LOOK_MS.json : LOOK_MS.screen, every);
  return {
    stop: () => {
      cancel();
      input?.close();
      screen?.stop();
    },
  };
}

/** The state in a word, beside its mark (STATE_MARKS). */
const WORDS: Readonly<Record<LampSituation, string>> = {
  idle: 'idle',
  ringing: 'ringing',
  calling: 'calling',
  busy: 'busy',
  held: 'held',
  offline: 'offline',
  unknown: 'unknown',
  refused: 'refused',
  error: 'error',
};
const STATE_LEGEND = LAMP_SITUATIONS.map((state) => `${STATE_MARKS[state]} ${WORDS[state]}`).join(' ');

/** On `lampfield module`, only the lamps are known: a mark for each pattern, the color in words. */
const PATTERN_MARKS: Readonly<Record<string, string>> = {
  steady: '●',
  'slow-blink': '◐',
  'fast-blink': '◉',
  flash: '!',
};
const PATTERN_LEGEND = '● steady ◐ slow blink ◉ fast blink ! flash · dark';

/** A key's cell: number, mark, label, the state in a word, the caller while it rings. */
const NUMBER_WIDTH = 3;
const LABEL_WIDTH = 10;
const WORD_WIDTH = 8;
const CALLER_WIDTH = 10;
const CELL_WIDTH = NUMBER_WIDTH + 1 + 1 + 1 + LABEL_WIDTH + 1 + WORD_WIDTH + 1 + CALLER_WIDTH;
const CELL_GAP = ' │ ';

/** The ANSI color of each lamp color, for the mark (the terminal's own palette). */
const SGR: Readonly<Record<LampColor, string>> = {
  off: '2',
  red: '31',
  green: '32',
  amber: '33',
  yellow: '93',
  blue: '34',
  cyan: '36',
  magenta: '35',
  white: '97',
};

/**
 * The module's state line and its keys, as many cells to a row as `width` holds (80 columns: two),
 * then its page keys and the legend. With `views`, each key shows what lampfield shows (its state, its
 * caller); without, what the module was told (its lamp and label). Nothing here depends on a blink's
 * phase, so the drawing changes only when a key does.
 */
function drawModule(
  firmware: ModuleDevice,
  width: number,
  status: string,
  views: readonly KeyView[] | null,
  lastPress: string | null,
  colors: boolean,
): string[] {
  const paint = (mark: string, color: LampColor) => (colors ? `\x1b[${SGR[color]}m${mark}\x1b[0m` : mark);
  const cell = (key: number, mark: string, label: string, word: string, caller: string) =>
    [
      String(key).padStart(NUMBER_WIDTH),
      mark,
      cut(label, LABEL_WIDTH).padEnd(LABEL_WIDTH),
      cut(word, WORD_WIDTH).padEnd(WORD_WIDTH),
      cut(caller === '' ? '' : `← ${caller}`, CALLER_WIDTH).padEnd(CALLER_WIDTH),
    ].join(' ');
  const cells: string[] = [];
  if (views != null) {
    for (const view of views) {
      const label = view.label ?? view.partner;
      const mark = paint(STATE_MARKS[view.state], view.lamp.color);
      cells.push(cell(view.key, mark, label, WORDS[view.state], view.caller ?? ''));
    }
  } else {
    const first = firmware.shownPage * firmware.perPage;
    for (let slot = 0; slot < firmware.perPage; slot++) {
      const lamp = firmware.lamp(first + slot);
      const lit = lamp != null && lamp.color !== 'off' && lamp.pattern !== 'off';
      const mark = lit ? paint(PATTERN_MARKS[lamp.pattern] ?? '●', lamp.color) : '·';
      cells.push(cell(first + slot + 1, mark, firmware.label(first + slot), lit ? lamp.color : '', ''));
    }
  }
  const { pages, pageKeys, boardId } = firmware.hardware;
  const page = pages > 1 ? `, page ${firmware.shownPage + 1} of ${pages}` : '';
  // Lines that change are cut to the width, never wrapped: the block keeps its height (terminal-screen.ts).
  const rows = [
    cut(`module ${boardId}: ${firmware.state}${page}${status === '' ? '' : ` · ${status}`}`, width),
  ];
  if (lastPress != null) rows.push(cut(`last press: ${lastPress === '' ? 'none yet' : lastPress}`, width));
  const perRow = Math.max(1, Math.floor((width + CELL_GAP.length) / (CELL_WIDTH + CELL_GAP.length)));
  for (let i = 0; i < cells.length; i += perRow)
    rows.push(
      cells
        .slice(i, i + perRow)
        .join(CELL_GAP)
        .trimEnd(),
    );
  if (pageKeys.length > 0)
    rows.push(
      `page keys ${pageKeys
        .map((_, index) => {
          const lamp = firmware.pageKeyLamp(index);
          const lit = lamp.color !== 'off' && lamp.pattern !== 'off';
          return `${index + 1} ${lit ? paint(PATTERN_MARKS[lamp.pattern] ?? '●', lamp.color) : '·'}`;
        })
        .join('  ')}`,
    );
  rows.push(cut(views != null ? STATE_LEGEND : PATTERN_LEGEND, width), '─'.repeat(Math.min(width, 80)));
  return rows;
}

/** `text` cut to `width` characters, with … where it was cut. */
function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** `text` in lines of at most `width` characters, broken between words (a longer word, an address, is cut). */
function wrap(text: string, width: number): string[] {
  if (width <= 0 || text.length <= width) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const joined = line === '' ? word : `${line} ${word}`;
    if (joined.length <= width) {
      line = joined;
      continue;
    }
    if (line !== '') lines.push(line);
    line = word;
    while (line.length > width) {
      lines.push(line.slice(0, width));
      line = line.slice(width);
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
