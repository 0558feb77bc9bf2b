/**
 * The simulator's drawing on a person's terminal (src/app/module-view.ts, terminal-screen.ts): the
 * address and hints stay in a block at the top, the block is rewritten only where something changed
 * (never on a timer, never for a blink), each state has its own mark, and 80 columns hold it.
 */
/* eslint-disable no-control-regex -- the terminal's control sequences (ESC …) are what this test reads */
import { describe, expect, it } from 'vitest';
import { ModuleFirmware } from '../../firmware-sim/sim/module-firmware.ts';
import type { Screen } from '../../hw/open-board.ts';
import { hardwareOf } from '../../src/app/module-simulator.ts';
import { showModule } from '../../src/app/module-view.ts';
import type { LampSituation } from '../../src/blf/lamp-policy.ts';
import { PARTNER_STATES } from '../../src/blf/partner-state.ts';
import { DEFAULT_LAMPS } from '../../src/blf/lamp-policy.ts';
import { loadBoards } from '../../src/config/boards.ts';
import type { KeyView } from '../../src/panel/panel.ts';
import { FakeClock } from '../support/fake-clock.ts';

const CSI = /\x1b\[[0-9;]*[A-Za-z]|\x1b[78]/g;

/** A terminal that keeps what was written to it, and can be resized. */
class RecordingScreen implements Screen {
  writes: string[] = [];
  colors = false;
  private resized: (() => void)[] = [];
  constructor(
    private cols: number,
    private lines: number,
  ) {}
  write(text: string): void {
    this.writes.push(text);
  }
  size() {
    return { columns: this.cols, rows: this.lines };
  }
  onResize(listener: () => void) {
    this.resized.push(listener);
    return () => (this.resized = this.resized.filter((other) => other !== listener));
  }
  resize(columns: number, rows: number): void {
    this.cols = columns;
    this.lines = rows;
    for (const listener of this.resized) listener();
  }
  /** The block's lines as drawn by the last full drawing, without control sequences. */
  lastBlock(): string[] {
    const full = this.writes.filter((text) => text.includes('\x1b[2J')).at(-1) ?? '';
    const block = full.slice(full.indexOf('\x1b[1;1H') + '\x1b[1;1H'.length).split(/\x1b\[\d+;\d+r/)[0]!;
    return block.split('\n').map((line) => line.replace(CSI, ''));
  }
}

function rig(states: LampSituation[], columns = 80, rows = 24) {
  const clock = new FakeClock();
  const board = loadBoards().find((candidate) => candidate.id === 'module-20rgb')!;
  const firmware = new ModuleFirmware(hardwareOf(board), clock);
  const screen = new RecordingScreen(columns, rows);
  const views: KeyView[] = states.map((state, index) => ({
    key: index + 1,
    partner: `sip:${211 + index}@pbx`,
    state,
    lamp: { color: DEFAULT_LAMPS[state].color, pattern: DEFAULT_LAMPS[state].pattern },
    label: `Ext ${211 + index}`,
    caller: state === 'ringing' ? '300' : null,
  }));
  const said: string[] = [];
  const view = showModule(
    firmware,
    { stdout: (line) => said.push(line), stderr: (line) => said.push(line) },
    {
      json: false,
      header: ['lampfield sim: the panel is at http://127.0.0.1:8080/', 'type "press N" and Enter'],
      status: () => 'desk phone 201: idle',
      lastPress: () => '',
      keys: () => views,
      terminal: { write: () => undefined, screen },
      clock,
    },
  );
  return { clock, screen, views, view, said };
}

describe('the simulator on a terminal', () => {
  it('keeps the address at the top, and writes nothing while nothing changes (blinking keys too)', () => {
    const { clock, screen, said, view } = rig([
      'ringing',
      'calling',
      'busy',
      'idle',
      'held',
      'idle',
      'idle',
      'idle',
    ]);
    clock.advance(1000);
    expect(screen.lastBlock()[0]).toBe('lampfield sim: the panel is at http://127.0.0.1:8080/');
    // The header is on the screen, not in the scrolling lines.
    expect(said).toEqual([]);
    const before = screen.writes.length;
    clock.advance(30_000);
    expect(screen.writes.length).toBe(before);
    view.stop();
  });

  it('rewrites only the row that changed, in place, with the cursor (and what is typed) put back', () => {
    const { clock, screen, views } = rig(['idle', 'idle', 'idle', 'idle', 'idle', 'idle', 'idle', 'idle']);
    clock.advance(5000); // the module's power-on self test is over: its state line holds still
    const before = screen.writes.length;
    views[2] = {
      ...views[2]!,
      state: 'ringing',
      lamp: { color: 'red', pattern: 'fast-blink' },
      caller: '300',
    };
    clock.advance(200);
    const update = screen.writes.slice(before);
    expect(update).toHaveLength(1);
    expect(update[0]).not.toContain('\x1b[2J');
    expect(update[0]!.startsWith('\x1b7')).toBe(true);
    expect(update[0]!.endsWith('\x1b8')).toBe(true);
    // One row of keys: key 3 shares it with key 4.
    expect(update[0]!.replace(CSI, '')).toMatch(
      /^\s+3 ◉ Ext 213\s+ringing\s+← 300\s+│\s+4 ● Ext 214\s+idle$/,
    );
  });

  it('gives each state its own mark and the caller beside the label, in 80 columns, with a legend', () => {
    // Every partner state, and refused: eight keys.
    const { clock, screen } = rig([...PARTNER_STATES, 'refused']);
    clock.advance(200);
    const block = screen.lastBlock();
    for (const line of block) expect(line.length).toBeLessThanOrEqual(80);
    const marks = new Map<string, string>();
    for (const [, mark, word] of block.join('\n').matchAll(/\d+ (\S) Ext \d+\s+(\w+)/g))
      marks.set(word!, mark!);
    expect(marks.size).toBe(8);
    expect(new Set(marks.values()).size).toBe(8);
    expect(block.join('\n')).toMatch(/2 ◉ Ext 212\s+ringing\s+← 300/);
    const legend = block.find((line) => line.startsWith('● idle'))!;
    for (const [word, mark] of marks) expect(legend).toContain(`${mark} ${word}`);
  });

  it('sets the block up again at a new size, and gives the terminal back when it stops', () => {
    const { clock, screen, view } = rig(['idle', 'idle', 'idle', 'idle', 'idle', 'idle', 'idle', 'idle']);
    clock.advance(200);
    expect(screen.lastBlock().filter((line) => /^\s+\d+ /.test(line))).toHaveLength(4); // two keys a row
    screen.resize(120, 40);
    expect(screen.lastBlock().filter((line) => /^\s+\d+ /.test(line))).toHaveLength(3); // three a row
    expect(screen.writes.at(-1)).toMatch(/\x1b\[\d+;40r/);
    view.stop();
    expect(screen.writes.at(-1)).toContain('\x1b[r');
  });
});
