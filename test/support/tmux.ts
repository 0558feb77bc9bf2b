/** A real terminal emulator for tests of what a person sees: tmux, driven by send-keys and read by capture-pane. */
import { execFileSync } from 'node:child_process';

/** A tmux server of the test's own (its own socket, no user config), `command` its one pane. */
export class Tmux {
  private readonly socket = `lampfield-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
  private serverPid: number | null = null;

  constructor(columns: number, rows: number, command: readonly string[]) {
    this.tmux(
      'new-session',
      '-d',
      '-x',
      String(columns),
      '-y',
      String(rows),
      // The pane stays a while after the command ends, so that what it said can still be read.
      `${command.map(quote).join(' ')}; sleep 30`,
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

/** `word` as one word for the shell tmux runs the pane's command with. */
function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
