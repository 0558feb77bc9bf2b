/**
 * `npm run soak -- --pbx tls [--minutes N] [--keys K] [--stall-every MINUTES]`: `lampfield run` as the
 * service it is on a Pi, against a PBX over TLS (test/support/stream-pbx.ts, certificates made for the
 * run) that stalls lampfield's connection every few minutes (it stops answering and sending on it, and
 * takes new ones), while the partners' state changes meanwhile. What it shows: every key right again
 * after each stall (the time from the stall until every key shows the partners' new state; target
 * 10 s), the warnings lampfield logged, and its resident memory every 30 s, the last against minute 2
 * (target: within 10%).
 * Outside `npm test`: it takes as long as it is told.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { makeCa, makeServerCert } from '../test/support/certificates.ts';
import { freePort } from '../test/support/ports.ts';
import { StreamPbx } from '../test/support/stream-pbx.ts';

const BIN = fileURLToPath(new URL('../bin/lampfield.js', import.meta.url));
const SAMPLE_MS = 30_000;
/** How long every key may take to be right again after a stall. */
const RECOVERY_TARGET_MS = 10_000;

export interface TlsSoakOptions {
  minutes: number;
  keys: number;
  stallEvery: number;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0) / 1024;
}

/** A warning or error line of lampfield's log (pino JSON level 40 and 50), or anything not JSON. */
function isWarning(line: string): boolean {
  if (line.trim() === '') return false;
  try {
    return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 40;
  } catch {
    return true;
  }
}

export async function soakTls(options: TlsSoakOptions): Promise<number> {
  const ca = makeCa('lampfield soak CA');
  const pbx = await StreamPbx.start('tls', makeServerCert(ca, ['IP:127.0.0.1'], 2));
  const partners = Array.from({ length: options.keys }, (_, i) => String(3000 + i));
  const dir = mkdtempSync(join(tmpdir(), 'lampfield-soak-'));
  const config = join(dir, 'lampfield.yaml');
  writeFileSync(
    config,
    stringify({
      pbx: { host: '127.0.0.1', port: pbx.port, transport: 'tls', tls: { ca: ca.cert }, dialect: 'generic' },
      account: { user: '900' },
      local: { address: '127.0.0.1', port: await freePort(true) },
      keys: partners.map((partner, index) => ({ key: index + 1, partner })),
    }),
  );
  const run = spawn(process.execPath, [BIN, 'run', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = run.pid!;
  process.once('SIGINT', () => run.kill('SIGTERM'));
  const shown = new Map<number, string>();
  createInterface({ input: run.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const { key, state } = JSON.parse(line) as { key: number; state: string };
    shown.set(key, state);
  });
  let fresh: string[] = [];
  createInterface({ input: run.stderr }).on('line', (line) => {
    if (isWarning(line) && fresh.length < 1000) fresh.push(line);
  });
  const every = (state: string) =>
    shown.size === options.keys && [...shown.values()].every((value) => value === state);
  const started = Date.now();
  while (!every('idle')) {
    if (run.exitCode != null || Date.now() - started > 60_000) {
      console.error('soak: lampfield did not show every key idle within a minute');
      run.kill('SIGTERM');
      await pbx.close();
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  console.log(
    `soak: lampfield run (pid ${pid}) over TLS, ${options.keys} keys, the PBX stalling its connection every ` +
      `${options.stallEvery} min, for ${options.minutes} min`,
  );
  const samples: { minute: number; rss: number }[] = [];
  const recoveries: number[] = [];
  let warned = 0;
  let state: 'idle' | 'early' = 'idle';
  let nextStall = started + options.stallEvery * 60_000;
  let nextSample = started + SAMPLE_MS;
  const end = started + options.minutes * 60_000;
  while (Date.now() < end && run.exitCode == null) {
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, Math.min(nextStall, nextSample, end) - Date.now())),
    );
    if (Date.now() >= nextStall) {
      nextStall += options.stallEvery * 60_000;
      // The PBX stalls the connection, and the partners' state changes while it is stalled.
      const stalledAt = Date.now();
      pbx.stall();
      state = state === 'idle' ? 'early' : 'idle';
      pbx.notifyAll(state);
      const wanted = state === 'idle' ? 'idle' : 'ringing';
      while (!every(wanted) && Date.now() - stalledAt < 60_000)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const took = Date.now() - stalledAt;
      recoveries.push(every(wanted) ? took : Number.POSITIVE_INFINITY);
      console.log(
        `soak: stall at ${((stalledAt - started) / 60_000).toFixed(1)} min: every key ${wanted} after ` +
          `${every(wanted) ? `${(took / 1000).toFixed(1)} s` : 'over 60 s'}`,
      );
    }
    if (Date.now() >= nextSample) {
      nextSample += SAMPLE_MS;
      const minute = (Date.now() - started) / 60_000;
      const rss = rssMb(pid);
      samples.push({ minute, rss });
      const lines = fresh;
      fresh = [];
      warned += lines.length;
      console.log(
        `soak: ${minute.toFixed(1).padStart(5)} min  RSS ${rss.toFixed(1)} MB  warnings ${lines.length}`,
      );
      for (const line of lines.slice(0, 5)) console.log(`  ${line.slice(0, 300)}`);
    }
  }
  const died = run.exitCode != null;
  run.kill('SIGTERM');
  await pbx.close();
  warned += fresh.length;
  const minute2 = samples.find((sample) => sample.minute >= 2) ?? samples[0];
  const last = samples.at(-1);
  const drift =
    minute2 == null || last == null
      ? 'n/a'
      : `${(((last.rss - minute2.rss) / minute2.rss) * 100).toFixed(1)}% (minute 2 ${minute2.rss.toFixed(1)} MB, last ${last.rss.toFixed(1)} MB)`;
  const slowest = Math.max(0, ...recoveries);
  console.log(
    `soak: ${((Date.now() - started) / 60_000).toFixed(1)} min over TLS, ${recoveries.length} stalls, slowest ` +
      `recovery ${Number.isFinite(slowest) ? `${(slowest / 1000).toFixed(1)} s` : 'never'}, ${warned} warnings` +
      `${died ? ', PROCESS DIED' : ''}, RSS drift ${drift} (targets: every recovery within ` +
      `${RECOVERY_TARGET_MS / 1000} s, 0 warnings, within 10%)`,
  );
  return died || slowest > RECOVERY_TARGET_MS ? 1 : 0;
}
