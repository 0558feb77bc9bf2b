/**
 * Start-up of `lampfield run`, built code (dist/bundle/, what the SD-card image runs) against today's run-time
 * transpile (tsx): from the process's start until its first SUBSCRIBE reaches the PBX (a UDP socket here,
 * which only listens), and its resident memory 2 s after that; Node with the service's options.
 */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceNodeFlags } from '../src/app/service-files.ts';
import { startProcess, stopProcess } from '../test/support/processes.ts';
import type { BenchRow } from './table.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

async function startToSubscribe(args: string[]): Promise<{ ms: number; rss: number }> {
  const pbx = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => pbx.bind(0, '127.0.0.1', resolve));
  const config = join(mkdtempSync(join(tmpdir(), 'lampfield-bench-')), 'lampfield.yaml');
  writeFileSync(
    config,
    `pbx: { host: 127.0.0.1, port: ${pbx.address().port} }\naccount: { user: "900" }\n` +
      `local: { address: 127.0.0.1, port: 0 }\nkeys: [{ key: 1, partner: "201" }]\n`,
  );
  const subscribed = new Promise<number>((resolve) =>
    pbx.on('message', (message) => {
      if (message.toString('latin1').startsWith('SUBSCRIBE ')) resolve(performance.now());
    }),
  );
  const started = performance.now();
  const child = startProcess(process.execPath, [...serviceNodeFlags(), ...args, 'run', '--config', config], {
    cwd: ROOT,
  });
  const ms = (await subscribed) - started;
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const rss = rssMb(child.child.pid!);
  await stopProcess(child);
  pbx.close();
  return { ms, rss };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchBuiltStart(): Promise<BenchRow[]> {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const ways = [
    ['built code (dist/bundle/)', [join(ROOT, 'dist/bundle/main.js')]],
    ['run-time transpile (tsx)', ['--import', 'tsx', join(ROOT, 'src/main.ts')]],
  ] as const;
  const rows: BenchRow[] = [];
  for (const [name, args] of ways) {
    const runs = [];
    for (let run = 0; run < 3; run++) runs.push(await startToSubscribe([...args]));
    rows.push(
      {
        figure: `lampfield run start to first SUBSCRIBE, ${name}, median of 3`,
        value: median(runs.map((run) => run.ms)).toFixed(0),
        unit: 'ms',
      },
      {
        figure: `lampfield run resident memory 2 s after, ${name}, median of 3`,
        value: median(runs.map((run) => run.rss)).toFixed(1),
        unit: 'MB',
      },
    );
  }
  return rows;
}
