/**
 * `lampfield sim [--dialect D] [--keys N] [--board ID] [--port P] [--seed S] [--rate R] [--json]`
 * (BRIEF §6): the whole product with no hardware and no PBX. A PBX simulator with generated calls
 * (src/sim), the module firmware simulator as the panel (through the real serial host driver over
 * TCP), and `lampfield run`'s own watcher, all in this process. The panel is drawn on a web page
 * (src/web, default http://127.0.0.1:8080/, a click is a press) and in the terminal (`press N`).
 */
import { ModuleFirmware } from '../../firmware-sim/sim/module-firmware.ts';
import { hardwareOf } from '../../firmware-sim/sim/module-hardware.ts';
import { serveOverTcp } from '../../firmware-sim/sim/module-server.ts';
import { showModule } from '../../firmware-sim/sim/module-view.ts';
import { DIALECT_NAMES, isDialectName, type DialectName } from '../blf/dialects.ts';
import { keyCount, loadBoards } from '../config/boards.ts';
import { parseConfig } from '../config/config.ts';
import { SipStack } from '../sip/stack.ts';
import { DEFAULT_GENERATOR, planCalls } from '../sim/call-generator.ts';
import { PbxSimulator } from '../sim/pbx-simulator.ts';
import { systemClock } from '../util/clock.ts';
import { stderrLogger } from '../util/log.ts';
import { startPanelServer } from '../web/panel-server.ts';
import type { CommandIo } from './command-io.ts';
import { startWatcher } from './run.ts';

const USAGE = `usage: lampfield sim [--dialect ${DIALECT_NAMES.join('|')}] [--keys N] [--board ID] [--port PAGE_PORT] [--seed S] [--rate CALLS_PER_MINUTE] [--json]`;
const DESK_PHONE = '201';
/** lampfield's account on the simulated PBX, which registers with a digest challenge like a real one. */
const SIM_PASSWORD = 'lampfield-sim';
/** Plan generated calls this far ahead, then again with the next seed. */
const PLAN_WINDOW_MS = 60 * 60_000;

export async function simCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let dialect: DialectName = 'generic';
  let keys = 8;
  let boardId = 'module-20rgb';
  let seed = 1;
  let rate = DEFAULT_GENERATOR.callsPerMinute;
  let json = false;
  let pagePort = 8080;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => args[++i] ?? '';
    if (arg === '--dialect') {
      const name = value();
      if (!isDialectName(name)) {
        io.stderr(`lampfield sim: unknown dialect "${name}"\n${USAGE}`);
        return 2;
      }
      dialect = name;
    } else if (arg === '--keys') keys = Number(value());
    else if (arg === '--board') boardId = value();
    else if (arg === '--port') pagePort = Number(value());
    else if (arg === '--seed') seed = Number(value());
    else if (arg === '--rate') rate = Number(value());
    else if (arg === '--json') json = true;
    else {
      io.stderr(`lampfield sim: unknown argument ${arg}\n${USAGE}`);
      return 2;
    }
  }
  const board = loadBoards().find((candidate) => candidate.id === boardId && candidate.driver === 'serial');
  const boardKeys = board == null ? 0 : keyCount(board);
  if (
    board == null ||
    !Number.isInteger(keys) ||
    keys < 1 ||
    keys > boardKeys ||
    !Number.isFinite(seed) ||
    !(rate >= 0)
  ) {
    io.stderr(
      `lampfield sim: --board must be a module board, --keys 1..its key count, --seed and --rate numbers\n${USAGE}`,
    );
    return 2;
  }

  // The PBX.
  const pbxStack = await SipStack.open({ address: '127.0.0.1', port: 0 });
  const pbx = new PbxSimulator(pbxStack, {
    dialect,
    host: '127.0.0.1',
    deskPhone: DESK_PHONE,
    passwords: { lampfield: SIM_PASSWORD },
  });
  const partners = Array.from({ length: keys }, (_, i) => String(211 + i));

  // The panel: the module firmware, driven through the real host driver over TCP.
  const firmware = new ModuleFirmware(hardwareOf(board), systemClock);
  const module = await serveOverTcp(firmware, 0);

  // The product, as `lampfield run` would run it with this config.
  const config = parseConfig(
    JSON.stringify({
      pbx: { host: '127.0.0.1', port: pbxStack.port, dialect },
      account: { user: 'lampfield', password: SIM_PASSWORD, register: true },
      local: { address: '127.0.0.1', port: 0 },
      board: board.id,
      panel: { port: `tcp://127.0.0.1:${module.port}` },
      phone: { uri: DESK_PHONE },
      log: { level: 'warn' },
      keys: partners.map((partner, index) => ({ key: index + 1, partner, label: `Ext ${partner}` })),
    }),
    'lampfield sim',
  );
  // The page: clicks press the module's own switches, so a press takes the whole real path.
  const page = await startPanelServer({
    board,
    port: pagePort,
    press: (key, gesture) => {
      firmware.pressSwitch(key - 1);
      setTimeout(() => firmware.releaseSwitch(key - 1), gesture === 'long' ? 800 : 120);
    },
  });
  const watcher = await startWatcher(
    config,
    { ...io, stdout: () => undefined },
    stderrLogger('warn'),
    systemClock,
    page,
  );

  // Generated calls between the partners and two outside callers.
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const later = (ms: number, fire: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fire();
    }, ms);
    timers.add(timer);
  };
  const plan = (window: number) => {
    const calls = planCalls(
      {
        ...DEFAULT_GENERATOR,
        callsPerMinute: rate,
        extensions: [...partners, '300', '301'],
        seed: seed + window,
      },
      PLAN_WINDOW_MS,
    );
    for (const call of calls) {
      later(call.at, () => {
        const id = pbx.ring(call.from, call.to);
        if (call.talkMs == null) {
          later(call.ringMs, () => pbx.hangUp(id));
          return;
        }
        later(call.ringMs, () => pbx.answer(id));
        if (call.hold != null) {
          const { after, forMs } = call.hold;
          later(call.ringMs + after, () => pbx.hold(id, call.to, true));
          later(call.ringMs + after + forMs, () => pbx.hold(id, call.to, false));
        }
        later(call.ringMs + call.talkMs, () => pbx.hangUp(id));
      });
    }
    later(PLAN_WINDOW_MS, () => plan(window + 1));
  };
  plan(0);

  io.stderr(
    `lampfield sim: ${dialect} PBX on sip:127.0.0.1:${pbxStack.port}, ${board.id} with ${keys} partner keys ` +
      `(extensions ${partners[0]}…${partners.at(-1)}), desk phone ${DESK_PHONE}; type "press N" to press key N`,
  );
  io.stderr(`lampfield sim: the panel is at ${page.url}`);
  const deskText = () =>
    pbx.deskPhoneCall == null
      ? `desk phone ${DESK_PHONE}: idle`
      : `desk phone ${DESK_PHONE}: in a call with ${pbx.deskPhoneCall}`;
  const deskTimer = setInterval(() => page.deskPhone(deskText()), 100);
  const view = showModule(firmware, board.grid.columns, io, json, deskText);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  for (const timer of timers) clearTimeout(timer);
  clearInterval(deskTimer);
  view.stop();
  await page.close();
  await watcher.stop();
  await module.close();
  await pbxStack.close();
  return 0;
}
