/**
 * `npm run bench`: every benchmark, printed as one table. Timing targets live here, never in tests.
 * The SIP benchmarks start Kamailio, sipp and baresip on 127.0.0.1 (the Debian packages of npm test).
 */
import { benchBuiltStart } from './built-start.ts';
import { benchCorePipeline } from './core-pipeline.ts';
import { benchDeskPhoneCall } from './desk-phone-call.ts';
import { benchKeyPress } from './key-press.ts';
import { benchSimStart } from './sim-start.ts';
import { benchStreamDeck } from './stream-deck.ts';
import { benchModuleLink } from './module-link.ts';
import { benchNotifyFlood } from './notify-flood.ts';
import { benchNotifyToLamp } from './notify-to-lamp.ts';
import { benchPicoFirmware } from './pico-firmware.ts';
import { benchSubscribeMany } from './subscribe-many.ts';
import { formatTable, type BenchRow } from './table.ts';
import { benchWatcherUdp } from './watcher-udp.ts';
import { killAll } from '../test/support/processes.ts';

/** Each bench's deadline: a row that has not finished by then says so (the next rows still run). */
const DEADLINE_MS = 5 * 60_000;

const rows: BenchRow[] = [];
for (const bench of [
  benchCorePipeline,
  benchModuleLink,
  benchPicoFirmware,
  benchStreamDeck,
  benchKeyPress,
  benchDeskPhoneCall,
  benchSimStart,
  benchBuiltStart,
  benchWatcherUdp,
  benchNotifyToLamp,
  benchNotifyFlood,
  benchSubscribeMany,
]) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<BenchRow[]>((resolve) => {
    timer = setTimeout(
      () =>
        resolve([
          { figure: bench.name, value: `did not finish within ${DEADLINE_MS / 60_000} min`, unit: '' },
        ]),
      DEADLINE_MS,
    );
  });
  rows.push(
    ...(await Promise.race([
      Promise.resolve()
        .then(bench)
        .catch((error: unknown) => [
          {
            figure: bench.name,
            value: `did not finish: ${error instanceof Error ? error.message : String(error)}`,
            unit: '',
          },
        ]),
      late,
    ])),
  );
  clearTimeout(timer);
  console.error(`(${bench.name} done)`);
}
console.log(formatTable(rows));
killAll(); // what a bench that did not finish left running
process.exit(0);
