/**
 * A key press until the desk phone's call to the partner is established (BRIEF §9), with a real phone:
 * baresip registered on the PBX as 201, 207 a sipp phone that answers after 20 ms. "Established" is what
 * a user sees: lampfield's own key for 207 turning busy (the PBX's NOTIFY of the confirmed call). On
 * Kamailio by REFER (`mode: 3pcc`, baresip places the call) and as the controller (`mode: controller`,
 * lampfield places it with baresip's offer); on Asterisk by REFER (Asterisk challenges the INVITE and
 * places the call itself, a blind transfer), when an Asterisk build is there (test/support/asterisk.ts),
 * and on FreeSWITCH the same way (test/support/freeswitch.ts).
 * p50 and p99 of 20 presses each. 207 listens before each press, as a real phone does: started at the
 * press (as this bench did), sipp was not yet listening when a controller's INVITE came 5 ms later, and
 * Kamailio sent it again after T1 (RFC 3261 §17.1.1.2), the controller's "half-second" of issue 30.
 */
import { Baresip } from '../test/support/baresip.ts';
import { Asterisk, asteriskBuild, ASTERISK_MISSING } from '../test/support/asterisk.ts';
import { Freeswitch, freeswitchBuild, FREESWITCH_MISSING } from '../test/support/freeswitch.ts';
import { Kamailio } from '../test/support/kamailio.ts';
import type { TestPbx } from '../test/support/pbx.ts';
import { callExpected, registerPhone } from '../test/support/sipp.ts';
import { PARTNER_207, until, watch207 } from '../test/support/watcher-rig.ts';
import type { BenchRow } from './table.ts';

const PRESSES = 20;
const PARTNER = PARTNER_207;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

type Pbx = TestPbx & { close(): Promise<void> };

async function presses(
  pbx: Pbx,
  mode: '3pcc' | 'controller',
  config: Record<string, unknown> = {},
): Promise<number[]> {
  const phone = await Baresip.start(pbx, '201');
  const partner = await registerPhone(pbx, '207');
  const { watcher } = await watch207(pbx.port, {
    ...config,
    phone: { uri: '201', mode },
    log: { level: 'error' },
  });
  const state = () => watcher.partner(PARTNER)?.situation;
  const times: number[] = [];
  try {
    await until(() => state() === 'idle', 'partner 207 idle');
    for (let press = 0; press < PRESSES; press++) {
      const answered = (await callExpected(pbx, partner, 20)).exited; // rings 20 ms (0 would be for ever)
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
    await pbx.close();
  }
  return times;
}

/** The p50 and p99 rows of one way of calling. */
function rowsOf(times: number[], how: string, target: string): BenchRow[] {
  return [
    {
      figure: `key press → baresip's call to 207 established, ${how}, p50 of ${PRESSES}`,
      value: percentile(times, 50).toFixed(0),
      unit: 'ms',
    },
    { figure: `  p99 (target ${target})`, value: percentile(times, 99).toFixed(0), unit: 'ms' },
  ];
}

export async function benchDeskPhoneCall(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const byRefer = await presses(await Kamailio.start(), '3pcc');
  rows.push(...rowsOf(byRefer, 'by REFER', '< 100 ms'));
  const referP99 = percentile(byRefer, 99);
  const asController = await presses(await Kamailio.start(), 'controller');
  rows.push(...rowsOf(asController, 'as controller', `≤ ${(referP99 + 10).toFixed(0)} ms, REFER's + 10`));
  // The real PBXs from builds, by REFER; a row that says why where there is no build. FreeSWITCH's REFER
  // waits 50 ms after the ACK (dialects.ts referAfterAckMs): its bridge first.
  const builds = [
    {
      dialect: 'asterisk',
      name: 'Asterisk 23.4',
      build: asteriskBuild,
      missing: ASTERISK_MISSING,
      start: () => Asterisk.start(),
      target: '< 100 ms',
    },
    {
      dialect: 'freeswitch',
      name: 'FreeSWITCH 1.10',
      build: freeswitchBuild,
      missing: FREESWITCH_MISSING,
      start: () => Freeswitch.start(),
      target: '< 200 ms, with its 50 ms wait',
    },
  ];
  for (const { dialect, name, build, missing, start, target } of builds) {
    const figure = `key press → baresip's call to 207 established, ${name}, by REFER`;
    if (build() == null) {
      rows.push({ figure, value: 'did not run', unit: missing });
      continue;
    }
    const config = { pbx: { dialect }, account: { user: '900', password: 'watch900' } };
    rows.push(...rowsOf(await presses(await start(), '3pcc', config), `${name}, by REFER`, target));
  }
  return rows;
}
