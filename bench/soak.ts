/**
 * `npm run soak -- --minutes N [--rate CALLS_PER_MINUTE] [--keys K] [--seed S]`: the long run of a
 * service on a Pi, squeezed. `lampfield sim` runs as its own process, as a user starts it, with a high
 * call rate and 60 s subscriptions (a refresh every ~30 s for every partner), and a receptionist pressing
 * a key every few seconds (a call or a pickup, through the simulated desk phone). Every 30 s one line: the
 * process's resident memory and CPU, and every warning it logged since. Last line: minutes run,
 * warnings, RSS first/last/peak, and the median RSS of the last 2 minutes against that of minutes 1 to 3
 * (the target: within 10%, 0 warnings).
 * `--pbx tls [--stall-every MINUTES]` runs the other soak instead: `lampfield run` against a PBX over TLS
 * that stalls its connection (soak-tls.ts).
 * Outside `npm test`: it takes as long as it is told.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { soakTls } from './soak-tls.ts';

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
  /** `--pbx tls`: the TLS soak (soak-tls.ts); `--stall-every`: its minutes between stalls. */
  tls: boolean;
  stallEvery: number;
}

function parse(args: readonly string[]): Options | string {
  const options: Options = { minutes: 30, rate: 600, keys: 20, seed: 1, tls: false, stallEvery: 5 };
  const names: Record<string, 'minutes' | 'rate' | 'keys' | 'seed' | 'stallEvery'> = {
    minutes: 'minutes',
    rate: 'rate',
    keys: 'keys',
    seed: 'seed',
    'stall-every': 'stallEvery',
  };
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i]!.replace(/^--/, '');
    if (flag === 'pbx' && args[i + 1] === 'tls') {
      options.tls = true;
      continue;
    }
    const name = names[flag];
    const value = Number(args[i + 1]);
    if (name == null || !(value > 0)) {
      return `soak: ${args[i]} ${args[i + 1] ?? ''}: expected --minutes N, --rate CALLS_PER_MINUTE, --keys K, --seed S, --pbx tls, --stall-every MINUTES (positive numbers)`;
    }
    options[name] = value;
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
  if (options.tls) return soakTls(options);
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

  // RSS is read every second. One reading swings ±20% with the collector's timing (and so does the
  // lowest reading of 30 s), so the closing comparison is of medians: minutes 1 to 3 against the last
  // 2 minutes, which moves when memory that stays alive grows.
  const samples: { minute: number; rss: number; floor: number }[] = [];
  const readings: { minute: number; rss: number }[] = [];
  let windowFloor = Number.POSITIVE_INFINITY;
  let peak = 0;
  const reading = setInterval(() => {
    if (sim.exitCode != null || sim.signalCode != null) return;
    const rss = rssMb(pid);
    readings.push({ minute: (Date.now() - started) / 60_000, rss });
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
  const last = samples.at(-1);
  const median = (from: number, to: number) => {
    const values = readings
      .filter((entry) => entry.minute >= from && entry.minute < to)
      .map((entry) => entry.rss)
      .sort((a, b) => a - b);
    return values.length === 0 ? null : values[Math.floor(values.length / 2)]!;
  };
  const early = median(1, 3);
  const late = median(minutes - 2, minutes + 1);
  const versus =
    early == null || late == null || minutes < 5
      ? 'n/a (under 5 min)'
      : `${(((late - early) / early) * 100).toFixed(1)}% (median RSS minutes 1-3 ${early.toFixed(1)} MB, ` +
        `last 2 minutes ${late.toFixed(1)} MB)`;
  console.log(
    `soak: ${minutes.toFixed(1)} min, ${warned} warnings${died ? ', PROCESS DIED' : ''}, RSS first ${rss[0]?.toFixed(1) ?? '-'} / ` +
      `last ${last?.rss.toFixed(1) ?? '-'} / peak ${peak === 0 ? '-' : peak.toFixed(1)} MB, ` +
      `RSS drift ${versus} (target: 0 warnings, within 10%)`,
  );
  return died ? 1 : 0;
}

process.exitCode = await main();
