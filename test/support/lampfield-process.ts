/**
 * `lampfield run` as a user runs it: the real command in a child process with a config file, its lamp
 * lines read from standard output (the console board) as they come.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { serviceNodeFlags } from '../../src/app/service-files.ts';
import { startProcess, stopProcess, type Started } from './processes.ts';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));

export interface LampLine {
  key: number;
  partner: string;
  state: string;
  lamp: { color: string; pattern: string };
  /** When the line was read (ms since the process started). */
  at: number;
}

export class LampfieldProcess {
  readonly lines: LampLine[] = [];
  private readonly started = Date.now();
  private waiters: (() => void)[] = [];

  private constructor(private readonly process: Started) {
    let pending = '';
    process.child.stdout?.on('data', (data: Buffer) => {
      pending += data.toString();
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.startsWith('{'))
          this.lines.push({ ...(JSON.parse(line) as Omit<LampLine, 'at'>), at: Date.now() - this.started });
        newline = pending.indexOf('\n');
      }
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }

  /** Starts `lampfield run` with `config` (an object written as YAML), with Node's options as the service's. */
  static start(config: object, extraArgs: readonly string[] = []): LampfieldProcess {
    const dir = mkdtempSync(join(tmpdir(), 'lampfield-run-'));
    const file = join(dir, 'lampfield.yaml');
    writeFileSync(file, stringify(config));
    return new LampfieldProcess(
      startProcess(process.execPath, [...serviceNodeFlags(), BIN, 'run', '--config', file, ...extraArgs], {
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
  }

  /** Sends `signal` and goes on running (SIGHUP to a service: reload). */
  kill(signal: NodeJS.Signals): void {
    this.process.child.kill(signal);
  }

  /** Types a console-board command (`press 1`, `long 2`) on lampfield's standard input. */
  type(command: string): void {
    this.process.child.stdin?.write(`${command}\n`);
  }

  /** The states a key went through, each change once. */
  states(key: number): string[] {
    const states: string[] = [];
    for (const line of this.lines)
      if (line.key === key && states.at(-1) !== line.state) states.push(line.state);
    return states;
  }

  current(key: number): string | undefined {
    return this.lines.filter((line) => line.key === key).at(-1)?.state;
  }

  /** Waits until `condition` holds for the lines read so far. */
  async waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.process.child.exitCode != null) {
        throw new Error(
          `lampfield run: ${what} did not happen; lines: ${JSON.stringify(this.lines.map((l) => [l.key, l.state]))}\n${this.output()}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  waitForState(key: number, state: string, timeoutMs?: number): Promise<void> {
    return this.waitFor(() => this.current(key) === state, `key ${key} showing ${state}`, timeoutMs);
  }

  /** Resident memory of the process, in bytes (Linux /proc). */
  residentBytes(): number {
    const status = readFileSync(`/proc/${this.process.child.pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kib == null ? Number.NaN : Number(kib) * 1024;
  }

  get alive(): boolean {
    return this.process.child.exitCode == null && this.process.child.signalCode == null;
  }

  output(): string {
    return this.process.output();
  }

  stop(): Promise<number> {
    return stopProcess(this.process);
  }

  /** Sends `signal` (as a terminal or a service manager would) and resolves with the exit code. */
  signal(signal: NodeJS.Signals): Promise<number> {
    this.process.child.kill(signal);
    return this.process.exited;
  }
}
