/**
 * `npm run soak -- --minutes N [--rate CALLS_PER_MINUTE] [--keys K] [--seed S]`: the long run of a
 * service on a Pi, squeezed. `lampfield sim` runs as its own process, as a user starts it, with a high
 * call rate and 60 s subscriptions (a refresh every ~30 s for every partner), and a receptionist pressing
 * a key every few seconds (a call or a pickup, through the simulated desk phone). Every 30 s one line: the
 * process's resident memory and CPU, and every warning it logged since. Last line: minutes run,
 * warnings, RSS first/last/peak, and last against minute 2, by reading and by floor (the lowest reading
 * of each 30 s) (the target: within 10%, 0 warnings).
 * Outside `npm test`: it takes as long as it is told.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/lampfield.js', import.meta.url));
const SAMPLE_MS = 30_000;
const PRESS_MS = 4_000;
/** /proc/PID/stat counts CPU time in clock ticks (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface Options {
  minutes: number;
  rate: number;
  keys: number;
  seed: number;
}

function parse(args: readonly string[]): Options | string {
  const options: Options = { minutes: 30, rate: 600, keys: 20, seed: 1 };
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!.replace(/^--/, '');
    const value = Number(args[i + 1]);
    if (!(name in options) || !(value > 0)) {
      return `soak: ${args[i]} ${args[i + 1] ?? ''}: expected --minutes N, --rate CALLS_PER_MINUTE, --keys K, --seed S (positive numbers)`;
    }
    options[name as keyof Options] = value;
  }
  return options;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0) / 1024;
}

function cpuSeconds(pid: number): number {
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** A warning or error line of the process's log (pino JSON: level 40 and 50), or anything not JSON. */
function isWarning(line: string): boolean {
  if (line.trim() === '' || line.startsWith('lampfield sim: ')) return false;
  try {
    const entry = JSON.parse(line) as { level?: number };
    return (entry.level ?? 0) >= 40;
  } catch {
    return true;
  }
}

async function main(): Promise<number> {
  const options = parse(process.argv.slice(2));
  if (typeof options === 'string') {
    console.error(options);
    return 2;
  }
  const sim = spawn(
    process.execPath,
    [
      BIN,
      'sim',
      '--port',
      '0',
      '--json',
      '--rate',
      String(options.rate),
      '--keys',
      String(options.keys),
      '--seed',
      String(options.seed),
      '--expires',
      '60',
    ],
    // The lamps on standard output are not kept: only the log, line by line, so the soak itself stays small.
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  const pid = sim.pid!;
  // Stopped with the soak (Ctrl-C) too: no simulator is left running.
  process.once('SIGINT', () => sim.kill('SIGTERM'));
  const exited = new Promise<string>((resolve) =>
    sim.once('exit', (code, signal) => resolve(String(code ?? signal))),
  );
  let ready = false;
  let fresh: string[] = [];
  const tail: string[] = [];
  createInterface({ input: sim.stderr }).on('line', (line) => {
    if (line.includes('the panel is at')) ready = true;
    tail.push(line);
    if (tail.length > 20) tail.shift();
    if (isWarning(line) && fresh.length < 1000) fresh.push(line);
  });
  const started = Date.now();
  while (!ready) {
    if (sim.exitCode != null) {
      console.error(`soak: lampfield sim ended at start:\n${tail.join('\n')}`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  console.log(
    `soak: lampfield sim (pid ${pid}), ${options.rate} calls/min, ${options.keys} keys, 60 s subscriptions, ` +
      `a press every ${PRESS_MS / 1000} s, for ${options.minutes} min`,
  );
  let presses = 0;
  const pressing = setInterval(() => {
    sim.stdin.write(`press ${1 + (presses++ % options.keys)}\n`);
  }, PRESS_MS);

  // RSS is read every second; each report gives the last reading and the floor of its 30 s (the lowest
  // reading, just after a garbage collection): a single reading swings ±15% with the collector's timing,
  // the floor moves only when memory that stays alive grows.
  const samples: { minute: number; rss: number; floor: number }[] = [];
  let windowFloor = Number.POSITIVE_INFINITY;
  let peak = 0;
  const reading = setInterval(() => {
    if (sim.exitCode != null || sim.signalCode != null) return;
    const rss = rssMb(pid);
    windowFloor = Math.min(windowFloor, rss);
    peak = Math.max(peak, rss);
  }, 1000);
  let warned = 0;
  let cpuBefore = cpuSeconds(pid);
  let wallBefore = Date.now();
  let died = false;
  while (Date.now() - started < options.minutes * 60_000) {
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(SAMPLE_MS, started + options.minutes * 60_000 - Date.now())),
    );
    if (sim.exitCode != null || sim.signalCode != null) {
      died = true;
      break;
    }
    const rss = rssMb(pid);
    const floor = Math.min(windowFloor, rss);
    windowFloor = Number.POSITIVE_INFINITY;
    peak = Math.max(peak, rss);
    const cpu = cpuSeconds(pid);
    const now = Date.now();
    const cpuShare = ((cpu - cpuBefore) / ((now - wallBefore) / 1000)) * 100;
    cpuBefore = cpu;
    wallBefore = now;
    const minute = (now - started) / 60_000;
    samples.push({ minute, rss, floor });
    const lines = fresh;
    fresh = [];
    warned += lines.length;
    console.log(
      `soak: ${minute.toFixed(1).padStart(5)} min  RSS ${rss.toFixed(1)} MB (floor ${floor.toFixed(1)})  ` +
        `CPU ${cpuShare.toFixed(1)}%  ` +
        `warnings ${lines.length}  presses ${presses}`,
    );
    for (const line of lines.slice(0, 5)) console.log(`  ${line.slice(0, 300)}`);
  }
  clearInterval(pressing);
  clearInterval(reading);
  if (died) {
    console.log(`soak: lampfield sim ended (exit ${await exited}):\n${tail.join('\n')}`);
  } else {
    sim.kill('SIGTERM');
    const timer = setTimeout(() => sim.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    warned += fresh.length;
  }
  const minutes = (Date.now() - started) / 60_000;
  const rss = samples.map((sample) => sample.rss);
  const atTwo = samples.find((sample) => sample.minute >= 2);
  const last = samples.at(-1);
  const drift = (from: number, to: number) => `${(((to - from) / from) * 100).toFixed(1)}%`;
  const versus =
    atTwo == null || last == null
      ? 'n/a (under 2 min)'
      : `${drift(atTwo.floor, last.floor)} by floor (${atTwo.floor.toFixed(1)} → ${last.floor.toFixed(1)} MB), ` +
        `${drift(atTwo.rss, last.rss)} by reading`;
  console.log(
    `soak: ${minutes.toFixed(1)} min, ${warned} warnings${died ? ', PROCESS DIED' : ''}, RSS first ${rss[0]?.toFixed(1) ?? '-'} / ` +
      `last ${last?.rss.toFixed(1) ?? '-'} / peak ${peak === 0 ? '-' : peak.toFixed(1)} MB, ` +
      `last vs minute 2 ${versus} (target: 0 warnings, within 10%)`,
  );
  return died ? 1 : 0;
}

process.exitCode = await main();
