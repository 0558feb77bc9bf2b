/**
 * A key press until the desk phone's call to the partner is established (BRIEF §9), with a real phone:
 * baresip registered on Kamailio as 201, 207 a sipp phone that answers after 20 ms. "Established" is what
 * a user sees: lampfield's own key for 207 turning busy (Kamailio's NOTIFY of the confirmed call). By
 * REFER (`mode: 3pcc`, baresip places the call) and as the controller (`mode: controller`, lampfield
 * places it with baresip's offer). p50 and p99 of 20 presses each.
 */
import { Baresip } from '../test/support/baresip.ts';
import { Kamailio } from '../test/support/kamailio.ts';
import { expectCall, registerPhone } from '../test/support/sipp.ts';
import { PARTNER_207, until, watch207 } from '../test/support/watcher-rig.ts';
import type { BenchRow } from './table.ts';

const PRESSES = 20;
const PARTNER = PARTNER_207;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function presses(mode: '3pcc' | 'controller'): Promise<number[]> {
  const kamailio = await Kamailio.start();
  const phone = await Baresip.start(kamailio, '201');
  const partner = await registerPhone(kamailio, '207');
  const { watcher } = await watch207(kamailio.port, { phone: { uri: '201', mode }, log: { level: 'error' } });
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
