/**
 * `npm run bench`: every benchmark, printed as one table. Timing targets live here, never in tests.
 * The SIP benchmarks start Kamailio, sipp and baresip on 127.0.0.1 (the Debian packages of npm test).
 *
 *   npm run bench -- --only benchBuiltStart,benchKeyPress   some benchmarks only
 *   npm run bench -- --json [FILE]                          the rows as JSON too (bench/results/ by default)
 *   npm run bench -- --compare A.json B.json                two runs side by side (B / A)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareResults, readResults, resultsOf } from './results.ts';
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

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at < 0 ? null : (args[at + 1] ?? '');
};

const compare = args.indexOf('--compare');
if (compare >= 0) {
  const [a, b] = args.slice(compare + 1, compare + 3);
  if (a == null || b == null) {
    console.error('usage: npm run bench -- --compare A.json B.json');
    process.exit(2);
  }
  try {
    const read = (file: string) => readResults(readFileSync(file, 'utf8'), file);
    console.log(formatTable(compareResults(read(a), read(b))));
  } catch (error) {
    console.error(`npm run bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  process.exit(0);
}

const BENCHES = [
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
];
const only = option('--only')?.split(',') ?? null;
const unknown = only?.filter((name) => !BENCHES.some((bench) => bench.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(
    `npm run bench: no benchmark ${unknown.join(', ')} (${BENCHES.map((b) => b.name).join(', ')})`,
  );
  process.exit(2);
}

const rows: BenchRow[] = [];
for (const bench of BENCHES.filter((each) => only == null || only.includes(each.name))) {
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
if (args.includes('--json')) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: root,
    encoding: 'utf8',
  }).trim();
  const at = new Date().toISOString();
  const named = option('--json');
  const file =
    named != null && named !== '' && !named.startsWith('--')
      ? named
      : join(root, 'bench', 'results', `${at.replace(/[:.]/g, '-')}-${commit}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(resultsOf(rows, at, commit), null, 2)}\n`);
  console.error(`the rows as JSON: ${file}`);
}
killAll(); // what a bench that did not finish left running
process.exit(0);
