/**
 * 1,000 partners subscribed at the default pace (20 SUBSCRIBE/s) against Kamailio: time until every key
 * shows the partner's state, and lampfield's resident memory then (BRIEF §9; target under 120 MB).
 */
import { Kamailio } from '../test/support/kamailio.ts';
import { LampfieldProcess } from '../test/support/lampfield-process.ts';
import { freePort } from '../test/support/ports.ts';
import type { BenchRow } from './table.ts';

const PARTNERS = 1000;

export async function benchSubscribeMany(): Promise<BenchRow[]> {
  const kamailio = await Kamailio.start();
  const keys = Array.from({ length: PARTNERS }, (_, i) => ({ key: i + 1, partner: String(10_000 + i) }));
  const started = Date.now();
  const lampfield = LampfieldProcess.start({
    pbx: { host: '127.0.0.1', port: kamailio.port, dialect: 'kamailio' },
    account: { user: '900' },
    local: { address: '127.0.0.1', port: await freePort() },
    log: { level: 'warn' },
    keys,
  });
  try {
    const idle = () => {
      let count = 0;
      for (let key = 1; key <= PARTNERS; key++) if (lampfield.current(key) === 'idle') count++;
      return count;
    };
    await lampfield.waitFor(() => idle() === PARTNERS, `all ${PARTNERS} partners idle`, 120_000);
    const seconds = (Date.now() - started) / 1000;
    const resident = lampfield.residentBytes() / (1024 * 1024);
    return [
      {
        figure: `${PARTNERS} partners subscribed at the default pace (20/s)`,
        value: seconds.toFixed(1),
        unit: 's',
      },
      { figure: '  resident memory then (target < 120 MB)', value: resident.toFixed(1), unit: 'MB' },
    ];
  } finally {
    await lampfield.stop();
    await kamailio.close();
  }
}
