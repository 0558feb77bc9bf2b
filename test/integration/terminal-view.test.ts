/**
 * `npm start` on a person's terminal, in tmux (a real terminal emulator): at 80×24 the page's address
 * stays on screen while the keys change, a `press 3` being typed stays visible through every redraw, and
 * Enter presses the key; at 120×40 the keys take three to a row. The simulator runs at 600 calls a
 * minute so that the keys change many times in a few seconds (each redraw is what 30 s of a quiet
 * office would bring).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));
const URL_LINE = /^lampfield sim: the panel is at http:\/\/127\.0\.0\.1:\d+\/$/;
const KEY_ROW = /^\s+\d+ \S /;

/** A tmux server of the test's own (its own socket, no user config), the simulator its one pane. */
class Tmux {
  private readonly socket = `lampfield-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
  private serverPid: number | null = null;

  constructor(columns: number, rows: number) {
    this.tmux(
      'new-session',
      '-d',
      '-x',
      String(columns),
      '-y',
      String(rows),
      `${process.execPath} ${BIN} sim --port 0 --rate 600 --seed 3; sleep 30`,
    );
    this.serverPid = Number(this.tmux('display-message', '-p', '#{pid}').trim());
  }

  screen(): string[] {
    return this.tmux('capture-pane', '-p').split('\n');
  }

  type(...keys: string[]): void {
    this.tmux('send-keys', ...keys);
  }

  /** Waits until `check` holds for what is on screen (polling the pane), or fails with the screen. */
  async until(check: (screen: string[]) => boolean, what: string): Promise<string[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const screen = this.screen();
      if (check(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`${what} did not happen; the screen:\n${screen.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  stop(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // Gone already.
    }
    if (this.serverPid != null)
      try {
        process.kill(this.serverPid, 'SIGKILL');
      } catch {
        // Gone already.
      }
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], {
      encoding: 'utf8',
      env: { ...process.env, TERM: 'xterm-256color', LANG: 'C.UTF-8' },
    });
  }
}

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
      const tmux = (running = new Tmux(80, 24));
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
      const tmux = (running = new Tmux(120, 40));
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
