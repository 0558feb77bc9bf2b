/**
 * 1,000 partners against Kamailio (BRIEF §9), each way lampfield can watch them: one subscription per
 * partner at the default pace (20 SUBSCRIBE/s), and one subscription to a resource list that holds them
 * all (RFC 4662, Kamailio's rls, pbx.list). For each: the SUBSCRIBEs lampfield sent (counted by Kamailio), the
 * time until every key shows its partner idle, and lampfield's resident memory then (target < 120 MB).
 */
import { Kamailio } from '../test/support/kamailio.ts';
import { LampfieldProcess } from '../test/support/lampfield-process.ts';
import { freePort } from '../test/support/ports.ts';
import type { BenchRow } from './table.ts';

const PARTNERS = 1000;
const LIST = 'sip:blf-reception@127.0.0.1';

async function watchAll(list: boolean): Promise<BenchRow[]> {
  const numbers = Array.from({ length: PARTNERS }, (_, i) => String(10_000 + i));
  const kamailio = await Kamailio.start({
    logSubscribes: true,
    ...(list
      ? { lists: [{ owner: '900', uri: LIST, entries: numbers.map((n) => `sip:${n}@127.0.0.1`) }] }
      : {}),
  });
  const started = Date.now();
  const lampfield = LampfieldProcess.start({
    pbx: { host: '127.0.0.1', port: kamailio.port, dialect: 'kamailio', ...(list ? { list: LIST } : {}) },
    account: { user: '900' },
    local: { address: '127.0.0.1', port: await freePort() },
    log: { level: 'warn' },
    keys: numbers.map((partner, i) => ({ key: i + 1, partner })),
  });
  try {
    const idle = new Set<number>();
    await lampfield.waitFor(
      () => {
        for (const line of lampfield.lines) if (line.state === 'idle') idle.add(line.key);
        return idle.size === PARTNERS;
      },
      `all ${PARTNERS} partners idle`,
      180_000,
    );
    const seconds = (Date.now() - started) / 1000;
    const resident = lampfield.residentBytes() / (1024 * 1024);
    const subscribes = kamailio.subscribesSeen();
    const way = list ? 'through one resource list (pbx.list)' : 'one subscription each, 20/s';
    return [
      { figure: `${PARTNERS} partners ${way}: SUBSCRIBEs sent`, value: String(subscribes), unit: '' },
      { figure: '  until every key is idle', value: seconds.toFixed(1), unit: 's' },
      { figure: '  resident memory then (target < 120 MB)', value: resident.toFixed(1), unit: 'MB' },
    ];
  } finally {
    await lampfield.stop();
    await kamailio.close();
  }
}

export async function benchSubscribeMany(): Promise<BenchRow[]> {
  return [...(await watchAll(false)), ...(await watchAll(true))];
}
