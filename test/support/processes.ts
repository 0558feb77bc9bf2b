/** Child processes started by tests, stopped by PID when the test ends (DEVELOPERS.md). */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface Started {
  child: ChildProcess;
  /** Resolves with the exit code (or 128 + signal number for a signal). */
  exited: Promise<number>;
  output(): string;
}

const running = new Set<ChildProcess>();

export function startProcess(command: string, args: readonly string[], options: SpawnOptions = {}): Started {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? (signal === 'SIGKILL' ? 137 : 143));
    });
    child.once('error', () => {
      running.delete(child);
      resolve(127);
    });
  });
  return { child, exited, output: () => output };
}

/** Stops a process by its PID: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(started: Started, graceMs = 3000): Promise<number> {
  const { child } = started;
  if (child.exitCode == null && child.signalCode == null && child.pid != null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await started.exited;
    clearTimeout(timer);
    return code;
  }
  return started.exited;
}

/** Kills whatever a test left running (afterAll). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}
