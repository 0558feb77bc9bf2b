/** Child processes started by tests, stopped by PID when the test ends, so that none outlives its test. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface Started {
  child: ChildProcess;
  /** Started as the leader of its own process group: stopping it stops its children too. */
  group: boolean;
  /** Resolves with the exit code (or 128 + signal number for a signal). */
  exited: Promise<number>;
  output(): string;
}

const running = new Set<ChildProcess>();

/**
 * Starts a process. With `group`, it leads a process group of its own (a daemon that forks workers,
 * such as Kamailio): stopping it signals the whole group, so that no worker outlives the test holding
 * its ports.
 */
export function startProcess(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { group?: boolean } = {},
): Started {
  const { group = false, ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: group, ...spawnOptions });
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
  if (group) groups.add(child);
  void exited.then(() => groups.delete(child));
  return { child, group, exited, output: () => output };
}

const groups = new Set<ChildProcess>();

function signal(started: { child: ChildProcess; group: boolean }, name: NodeJS.Signals): void {
  const { child } = started;
  if (child.pid == null) return;
  try {
    if (started.group) process.kill(-child.pid, name);
    else child.kill(name);
  } catch {
    // Already gone.
  }
}

/** Stops a process by its PID: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(started: Started, graceMs = 3000): Promise<number> {
  const { child } = started;
  if (child.exitCode == null && child.signalCode == null && child.pid != null) {
    signal(started, 'SIGTERM');
    const timer = setTimeout(() => signal(started, 'SIGKILL'), graceMs);
    const code = await started.exited;
    clearTimeout(timer);
    // Workers of a group that outlived their leader go too.
    if (started.group) signal(started, 'SIGKILL');
    return code;
  }
  if (started.group) signal(started, 'SIGKILL');
  return started.exited;
}

/** Kills whatever a test left running (afterAll). */
export function killAll(): void {
  for (const child of running) signal({ child, group: groups.has(child) }, 'SIGKILL');
}
