/**
 * A key press until the desk phone's call to the partner is established (BRIEF §9), with a real phone:
 * baresip registered on Kamailio as 201, 207 a sipp phone that answers after 20 ms. "Established" is what
 * a user sees: lampfield's own key for 207 turning busy (Kamailio's NOTIFY of the confirmed call). By
 * REFER (`mode: 3pcc`, baresip places the call) and as the controller (`mode: controller`, lampfield
 * places it with baresip's offer). p50 and p99 of 20 presses each.
 */
import { startWatcher } from '../src/app/watcher.ts';
import { loadBoards } from '../src/config/boards.ts';
import { parseConfig } from '../src/config/config.ts';
import { FakePanel } from '../src/panel/fake-panel.ts';
import { MemoryLogger } from '../src/util/log.ts';
import { Baresip } from '../test/support/baresip.ts';
import { Kamailio } from '../test/support/kamailio.ts';
import { freePort } from '../test/support/ports.ts';
import { expectCall, registerPhone } from '../test/support/sipp.ts';
import type { BenchRow } from './table.ts';

const PRESSES = 20;
const PARTNER = 'sip:207@127.0.0.1';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function presses(mode: '3pcc' | 'controller'): Promise<number[]> {
  const kamailio = await Kamailio.start();
  const phone = await Baresip.start(kamailio, '201');
  const partner = await registerPhone(kamailio, '207');
  const config = parseConfig(
    JSON.stringify({
      pbx: { host: '127.0.0.1', port: kamailio.port, dialect: 'kamailio' },
      account: { user: '900' },
      local: { address: '127.0.0.1', port: await freePort() },
      phone: { uri: '201', mode },
      log: { level: 'error' },
      keys: [{ key: 1, partner: '207' }],
    }),
    'bench',
  );
  const panel = new FakePanel(loadBoards().find((board) => board.id === 'console')!);
  const watcher = await startWatcher(config, { log: new MemoryLogger(), panel });
  const state = () => watcher.partner(PARTNER)?.situation;
  const times: number[] = [];
  try {
    await until(() => state() === 'idle', 'partner 207 idle');
    for (let press = 0; press < PRESSES; press++) {
      const answered = expectCall(kamailio, partner, 20).exited; // rings 20 ms (0 would be for ever)
      const started = performance.now();
      void watcher.press(1, 'short');
      await until(() => state() === 'busy', 'partner 207 busy');
      times.push(performance.now() - started);
      await phone.hangUp();
      await answered;
      await until(() => state() === 'idle' && watcher.controlledCalls() === 0, 'partner 207 idle again');
    }
  } finally {
    await watcher.stop();
    await phone.stop();
    await kamailio.close();
  }
  return times;
}

export async function benchDeskPhoneCall(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const mode of ['3pcc', 'controller'] as const) {
    const times = await presses(mode);
    const how = mode === '3pcc' ? 'by REFER' : 'as controller';
    rows.push(
      {
        figure: `key press → baresip's call to 207 established, ${how}, p50 of ${PRESSES}`,
        value: percentile(times, 50).toFixed(0),
        unit: 'ms',
      },
      { figure: '  p99', value: percentile(times, 99).toFixed(0), unit: 'ms' },
    );
  }
  return rows;
}
