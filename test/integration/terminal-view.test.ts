/**
 * `npm start` on a person's terminal, in tmux (a real terminal emulator): at 80×24 the page's address
 * stays on screen while the keys change, a `press 3` being typed stays visible through every redraw, and
 * Enter presses the key; at 120×40 the keys take three to a row. The simulator runs at 600 calls a
 * minute so that the keys change many times in a few seconds (each redraw is what 30 s of a quiet
 * office would bring).
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Tmux } from '../support/tmux.ts';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));
const URL_LINE = /^lampfield sim: the panel is at http:\/\/127\.0\.0\.1:\d+\/$/;
const KEY_ROW = /^\s+\d+ \S /;
const SIM = [process.execPath, BIN, 'sim', '--port', '0', '--rate', '600', '--seed', '3'];

let running: Tmux | null = null;
afterEach(() => {
  running?.stop();
  running = null;
});

describe('npm start in a terminal', () => {
  it(
    'at 80×24 keeps the address on screen and what is being typed, through many redraws',
    { timeout: 90_000 },
    async () => {
      const tmux = (running = new Tmux(80, 24, SIM));
      await tmux.until((screen) => URL_LINE.test(screen[0]!), 'the address at the top');
      tmux.type('press 3');
      // The keys change again and again (calls come and go): each drawing seen is a redraw.
      const drawings = new Set<string>();
      await tmux.until((screen) => {
        expect(screen[0]).toMatch(URL_LINE);
        expect(screen.some((line) => line === 'press 3')).toBe(true);
        drawings.add(screen.filter((line) => KEY_ROW.test(line)).join('\n'));
        return drawings.size >= 12;
      }, 'twelve different drawings of the keys');
      const screen = tmux.screen();
      // 80 columns hold the eight keys, two to a row, without a wrapped line.
      expect(screen.filter((line) => KEY_ROW.test(line))).toHaveLength(4);
      expect(screen.some((line) => line.startsWith('● idle ◉ ringing ▲ calling ■ busy ‖ held'))).toBe(true);
      // Enter presses key 3; what it did is on screen.
      tmux.type('Enter');
      await tmux.until(
        (now) => now.some((line) => /^last press: key 3: /.test(line)),
        'what the press did, on screen',
      );
      expect(tmux.screen()[0]).toMatch(URL_LINE);
    },
  );

  it(
    'at 120×40 takes three keys to a row, and a ringing key names its caller beside its label',
    { timeout: 60_000 },
    async () => {
      const tmux = (running = new Tmux(120, 40, SIM));
      const screen = await tmux.until(
        (now) => now.some((line) => /\d+ ◉ Ext 2\d\d\s+ringing\s+← \d+/.test(line)),
        'a ringing key with its caller',
      );
      expect(screen[0]).toMatch(URL_LINE);
      const rows = screen.filter((line) => KEY_ROW.test(line));
      expect(rows).toHaveLength(3);
      expect(rows[0]!.split('│')).toHaveLength(3);
    },
  );
});
