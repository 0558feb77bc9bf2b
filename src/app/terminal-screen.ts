/**
 * A block of lines that stays at the top of a person's terminal (the simulator's address, its hints, the
 * keys), with everything else — log lines, what the person types — scrolling beneath it. The block is a
 * fixed area above a scroll region (DECSTBM, ECMA-48 / xterm "CSI t;b r"): lines written to the terminal
 * scroll only inside the region, so they never push the block away, and the block is rewritten in place
 * (the cursor saved and restored around it, DECSC/DECRC), so what the person is typing is never touched.
 * Only lines that changed are written, and only when something changed: nothing repaints on a timer.
 */
import type { Screen } from '../../hw/open-board.ts';

/** Fewer rows than this left under the block: no region (a tiny terminal scrolls as it always did). */
const MIN_SCROLL_ROWS = 3;

// ECMA-48 control sequences, named for what they do.
const ESC = '\x1b';
const SAVE_CURSOR = `${ESC}7`;
const RESTORE_CURSOR = `${ESC}8`;
const CLEAR_SCREEN = `${ESC}[2J`;
const CLEAR_TO_END_OF_LINE = `${ESC}[K`;
const WHOLE_SCREEN_SCROLLS = `${ESC}[r`;
const at = (row: number) => `${ESC}[${row};1H`;
const scrollRegion = (top: number, bottom: number) => `${ESC}[${top};${bottom}r`;

export class FixedScreen {
  private shown: string[] = [];
  private wanted: readonly string[] = [];
  /** Whether the terminal holds the block above a scroll region (else it is drawn as a whole, on change). */
  private region = false;
  private readonly stopResize: () => void;

  /** `relayout` is asked for the block again when the terminal is resized (it lays it out for the new width). */
  constructor(
    private readonly screen: Screen,
    relayout: () => void,
  ) {
    // A resized terminal loses its region: everything is set up again at the new size.
    this.stopResize = screen.onResize(() => {
      this.shown = [];
      relayout();
    });
  }

  /** The terminal's width, for whoever lays the block out. */
  get columns(): number {
    return this.screen.size().columns;
  }

  /** Shows `lines` (each at most `columns` wide, so none wraps) as the block; writes only what changed. */
  show(lines: readonly string[]): void {
    this.wanted = lines;
    if (this.shown.length === 0 || lines.length !== this.shown.length) {
      this.setUp();
      return;
    }
    if (!this.region) {
      if (lines.some((line, i) => line !== this.shown[i])) this.setUp();
      return;
    }
    let text = '';
    lines.forEach((line, i) => {
      if (line !== this.shown[i]) text += `${at(i + 1)}${line}${CLEAR_TO_END_OF_LINE}`;
    });
    if (text === '') return;
    this.screen.write(`${SAVE_CURSOR}${text}${RESTORE_CURSOR}`);
    this.shown = [...lines];
  }

  /** Gives the whole terminal back to scrolling, the cursor on its last line. */
  stop(): void {
    this.stopResize();
    if (this.region) this.screen.write(`${WHOLE_SCREEN_SCROLLS}${at(this.screen.size().rows)}\n`);
    this.region = false;
  }

  /** Clears the terminal, draws the block, and puts the region (and the cursor) under it. */
  private setUp(): void {
    const lines = this.wanted;
    const { rows } = this.screen.size();
    this.region = rows - lines.length >= MIN_SCROLL_ROWS;
    const block = lines.map((line) => `${line}${CLEAR_TO_END_OF_LINE}`).join('\n');
    this.screen.write(
      this.region
        ? // Setting the region homes the cursor; it goes to the region's first line after.
          `${WHOLE_SCREEN_SCROLLS}${CLEAR_SCREEN}${at(1)}${block}${scrollRegion(lines.length + 1, rows)}${at(lines.length + 1)}`
        : `${CLEAR_SCREEN}${at(1)}${block}\n`,
    );
    this.shown = [...lines];
  }
}
