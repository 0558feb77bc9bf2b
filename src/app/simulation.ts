/**
 * The whole product with no hardware and no PBX (BRIEF §6), as `lampfield sim` runs it: the PBX
 * simulator (src/sim) with generated calls, the module's firmware simulator as the panel (driven through
 * the real serial host driver over TCP), the page (src/web, a click presses the module's own switch), and
 * the same application `lampfield run` starts (watcher.ts), all in this process, on one clock.
 */
import type { ModuleDevice } from '../../firmware-sim/sim/module-device.ts';
import { pressAsPerson } from '../../firmware-sim/sim/module-person.ts';
import type { DialectName } from '../blf/dialects.ts';
import type { Board } from '../config/boards.ts';
import { parseConfig } from '../config/config.ts';
import { DEFAULT_GENERATOR, planCalls } from '../sim/call-generator.ts';
import { PbxSimulator } from '../sim/pbx-simulator.ts';
import { PBX_PRODUCTS } from '../sim/pbx-products.ts';
import type { KeyView, KeyViewer } from '../panel/panel.ts';
import type { Logger } from '../util/log.ts';
import { UserError } from '../util/user-error.ts';
import { startPanelServer, type PanelServer } from '../web/panel-server.ts';
import { serveModule } from './module-simulator.ts';
import type { Platform } from './platform.ts';
import { statusPageOptions } from './status-page.ts';
import { startWatcher } from './watcher.ts';

export interface SimulationOptions {
  dialect: DialectName;
  /** A module board (driver `serial`) of boards.json. */
  board: Board;
  /** Partner keys, 1 .. the board's key count. */
  keys: number;
  seed: number;
  /** Generated calls per minute. */
  rate: number;
  /** The module's real firmware to run on an emulated RP2040 instead of the simulator (module-simulator.ts). */
  firmwareFile?: string | null;
  /** Subscription duration lampfield asks for, seconds (config `pbx.expires`); the config's default if absent. */
  expires?: number;
  /** The page's port; 0 picks a free one. */
  pagePort: number;
  /**
   * When another program holds `pagePort`: serve on a free port instead (`npm start` on a machine where
   * 8080 is taken must still give a working page), or fail. Default: fail.
   */
  pagePortTaken?: 'use-a-free-port' | 'fail';
  /** What it all runs on: the clock, the sockets, the module's host driver (platform.ts). */
  platform: Platform;
  log: Logger;
}

export interface Simulation {
  readonly pbxPort: number;
  readonly partners: readonly string[];
  readonly deskPhone: string;
  readonly firmware: ModuleDevice;
  readonly page: PanelServer;
  /** The port asked for that another program held, when the page moved to a free one; else null. */
  readonly pagePortWasTaken: number | null;
  /** What the desk phone is doing, in words. */
  deskText(): string;
  /** What the last key press did, in words ("key 3: picked up …"); empty before the first. */
  lastPress(): string;
  /** What lampfield shows on each key now (as the page does), in key order. */
  keys(): readonly KeyView[];
  stop(): Promise<void>;
}

const DESK_PHONE = '201';
/** lampfield's account on the simulated PBX, which registers with a digest challenge like a real one. */
const SIM_PASSWORD = 'lampfield-sim';
/** Plan generated calls this far ahead, then again with the next seed. */
const PLAN_WINDOW_MS = 60 * 60_000;
/** How long a missed call that was picked up is talked on after the caller would have given up. */
const PICKED_UP_TALK_MS = DEFAULT_GENERATOR.talkMs[0];
/** How long a click on the page holds the module's switch: a short press, or past the long press. */
const CLICK_MS = { short: 120, long: 800 } as const;

export async function startSimulation(options: SimulationOptions): Promise<Simulation> {
  const { platform, dialect, board } = options;
  const { clock } = platform;
  // The PBX. It says what it is as its family does, and lampfield finds the family by itself (auto).
  const product = PBX_PRODUCTS[dialect];
  const pbxStack = await platform.openStack({
    address: '127.0.0.1',
    port: 0,
    clock,
    ...(product == null ? {} : { signature: product }),
  });
  const pbx = new PbxSimulator(pbxStack, {
    dialect,
    host: '127.0.0.1',
    deskPhone: DESK_PHONE,
    passwords: { lampfield: SIM_PASSWORD },
    clock,
  });
  const partners = Array.from({ length: options.keys }, (_, i) => String(211 + i));

  // The panel: the module's firmware (simulated, or the real one emulated), driven through the real host
  // driver over TCP.
  const { firmware, endpoint: module } = await serveModule(
    board,
    { tcp: 0 },
    clock,
    options.firmwareFile ?? null,
  );

  // The product, as `lampfield run` would run it with this config.
  const config = parseConfig(
    JSON.stringify({
      pbx: {
        host: '127.0.0.1',
        port: pbxStack.port,
        dialect: 'auto',
        ...(options.expires == null ? {} : { expires: options.expires }),
      },
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
  const pageOn = (port: number) =>
    startPanelServer({
      ...statusPageOptions(config),
      clock,
      port,
      // A key on a page out of the module's view: the page key first, as a person would.
      press: (key, gesture) => void pressAsPerson(firmware, key, CLICK_MS[gesture], clock),
    });
  let pagePortWasTaken: number | null = null;
  const page = await pageOn(options.pagePort).catch((error: unknown) => {
    const taken = error instanceof UserError && error.code === 'address-in-use';
    if (!taken || options.pagePortTaken !== 'use-a-free-port') throw error;
    pagePortWasTaken = options.pagePort;
    return pageOn(0);
  });
  // What each key shows goes to the page, and is kept for the terminal's drawing and `sim --json`.
  const shown = new Map<number, KeyView>();
  let lastPress = '';
  const viewer: KeyViewer = {
    keyShown: (view) => {
      shown.set(view.key, view);
      page.keyShown(view);
    },
    pressShown: (report) => {
      lastPress = `key ${report.key}: ${report.text}`;
      page.pressShown(report);
    },
    pbxShown: (reach) => page.pbxShown(reach),
    pageShown: (shownPage) => page.pageShown(shownPage),
  };
  const watcher = await startWatcher(config, { platform, log: options.log, viewer });

  // Generated calls between the partners and two outside callers.
  const timers = new Set<() => void>();
  const later = (ms: number, fire: () => void) => {
    const cancel = clock.after(ms, () => {
      timers.delete(cancel);
      fire();
    });
    timers.add(cancel);
  };
  const plan = (window: number) => {
    const calls = planCalls(
      {
        ...DEFAULT_GENERATOR,
        callsPerMinute: options.rate,
        extensions: [...partners, '300', '301'],
        seed: options.seed + window,
      },
      PLAN_WINDOW_MS,
    );
    for (const call of calls) {
      later(call.at, () => {
        // A simulated phone has one line (no call waiting): a call to or from a phone in a call is not
        // made, so that what a key shows is one call's life and a pickup ends the partner's ringing.
        if (pbx.inCall(call.from) || pbx.inCall(call.to)) return;
        const id = pbx.ring(call.from, call.to);
        if (call.talkMs == null) {
          // The caller gives up when nobody answered; a call picked up meanwhile is talked on.
          later(call.ringMs, () =>
            pbx.ringing(id) ? pbx.hangUp(id) : later(PICKED_UP_TALK_MS, () => pbx.hangUp(id)),
          );
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

  const deskText = () =>
    pbx.deskPhoneCall == null
      ? `desk phone ${DESK_PHONE}: idle`
      : `desk phone ${DESK_PHONE}: in a call with ${pbx.deskPhoneCall}`;
  const showDesk = () => {
    page.deskPhone(deskText());
    later(100, showDesk);
  };
  showDesk();

  return {
    pbxPort: pbxStack.port,
    partners,
    deskPhone: DESK_PHONE,
    firmware,
    page,
    pagePortWasTaken,
    deskText,
    keys: () => [...shown.values()].sort((a, b) => a.key - b.key),
    lastPress: () => lastPress,
    stop: async () => {
      for (const cancel of timers) cancel();
      await page.close();
      await watcher.stop();
      await module.close();
      await pbxStack.close();
    },
  };
}
