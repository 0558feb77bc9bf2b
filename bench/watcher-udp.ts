/**
 * Sustained NOTIFY/s over UDP into a running `lampfield run` (sipp sending innovaphone-style NOTIFYs,
 * lampfield reading each through the whole core and answering 200), beside sipp answering the same
 * stream itself (BRIEF §9). Targets: ≥ 5,000 NOTIFY/s, none retransmitted, ≥ 0.5 of sipp.
 *
 * "Sustained" is the highest offered rate (in steps of 1,000/s) that is answered in full with not one
 * retransmission; the load generator is one sipp on this 2-core machine, so its own ceiling is shown too.
 */
import { join } from 'node:path';
import { LampfieldProcess } from '../test/support/lampfield-process.ts';
import { freePort } from '../test/support/ports.ts';
import { stopProcess } from '../test/support/processes.ts';
import { runSipp, SCENARIOS, startSipp, type SippStats } from './sipp-stats.ts';
import type { BenchRow } from './table.ts';

const PER_STEP = 20_000;
/** Socket buffers for sipp as large as lampfield's own (src/sip/transports.ts). */
const BUFFER = String(4 * 1024 * 1024);
const RATES = [3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000];

async function flood(targetPort: number, count: number, rate: number): Promise<SippStats> {
  return runSipp([
    '-sf',
    join(SCENARIOS, 'notify-flood.xml'),
    '-s',
    '207',
    '-i',
    '127.0.0.1',
    '-p',
    String(await freePort()),
    '-m',
    String(count),
    '-r',
    String(rate),
    '-rp',
    '1000',
    '-l',
    '5000',
    '-timeout',
    '60s',
    '-buff_size',
    BUFFER,
    `127.0.0.1:${targetPort}`,
  ]);
}

/** The highest step answered in full at the offered rate with no retransmission, and the last step's figures. */
async function sustained(targetPort: number): Promise<{ clean: number; saturated: SippStats }> {
  let clean = 0;
  let last: SippStats | null = null;
  for (const rate of RATES) {
    last = await flood(targetPort, PER_STEP, rate);
    if (last.retransmissions > 0 || last.failed > 0 || last.rate < rate * 0.97) break;
    clean = rate;
  }
  return { clean, saturated: last! };
}

export async function benchWatcherUdp(): Promise<BenchRow[]> {
  const answerPort = await freePort();
  const answerer = startSipp([
    '-sf',
    join(SCENARIOS, 'notify-answer.xml'),
    '-i',
    '127.0.0.1',
    '-p',
    String(answerPort),
    '-m',
    '10000000',
    '-buff_size',
    BUFFER,
  ]);
  await flood(answerPort, 2000, 2000); // sipp is answering
  const baseline = await sustained(answerPort);
  await stopProcess(answerer);

  // lampfield as innovaphone's watcher: unsolicited NOTIFYs from the PBX address, no subscription.
  const watcherPort = await freePort();
  const lampfield = LampfieldProcess.start({
    pbx: { host: '127.0.0.1', port: await freePort(), dialect: 'innovaphone', keepaliveSeconds: 0 },
    account: { user: 'watcher' },
    local: { address: '127.0.0.1', port: watcherPort },
    log: { level: 'warn' },
    keys: [{ key: 1, partner: 'sip:207@127.0.0.1' }],
  });
  await lampfield.waitForState(1, 'unknown');
  await flood(watcherPort, 5000, 2000); // warm-up: JIT
  const measured = await sustained(watcherPort);
  await lampfield.stop();

  const at = (stats: SippStats) => `${stats.rate.toFixed(0)} (${stats.retransmissions} retransmitted)`;
  return [
    {
      figure: 'UDP NOTIFY intake, lampfield run: sustained, none retransmitted',
      value: String(measured.clean),
      unit: 'NOTIFY/s',
    },
    { figure: '  past that step', value: at(measured.saturated), unit: 'NOTIFY/s' },
    {
      figure: 'same stream answered by sipp itself: sustained',
      value: String(baseline.clean),
      unit: 'NOTIFY/s',
    },
    { figure: '  past that step', value: at(baseline.saturated), unit: 'NOTIFY/s' },
    {
      figure: 'lampfield / sipp, sustained (target ≥ 0.9; ≥ 5,000/s)',
      value: (measured.clean / baseline.clean).toFixed(2),
      unit: 'ratio',
    },
  ];
}
