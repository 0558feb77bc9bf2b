/**
 * lampfield's application (src/app/watcher.ts) in the test's own process, watching partner 207 on a
 * PBX (Kamailio, or a scripted one) with desk phone 201, on an in-memory panel, logging to memory; and
 * `until`, for waiting on what it shows.
 */
import { testPlatform } from './platform.ts';
import { startWatcher, type RunningWatcher } from '../../src/app/watcher.ts';
import { loadBoards } from '../../src/config/boards.ts';
import { parseConfig } from '../../src/config/config.ts';
import { FakePanel } from '../../src/panel/fake-panel.ts';
import { systemClock, type Clock } from '../../src/util/clock.ts';
import { MemoryLogger } from '../../src/util/log.ts';
import { freePort } from './ports.ts';

export const PARTNER_207 = 'sip:207@127.0.0.1';

export interface WatcherRig {
  watcher: RunningWatcher;
  log: MemoryLogger;
  panel: FakePanel;
}

/**
 * The watcher of key 1 = 207 on the PBX at 127.0.0.1:`pbxPort`; `config` adds to or replaces parts;
 * `clock` is its time (a FakeClock moves its timers without waiting).
 */
export async function watch207(
  pbxPort: number,
  config: Record<string, unknown> = {},
  clock: Clock = systemClock,
): Promise<WatcherRig> {
  const { pbx, ...rest } = config as { pbx?: Record<string, unknown> };
  const parsed = parseConfig(
    JSON.stringify({
      pbx: { host: '127.0.0.1', port: pbxPort, dialect: 'kamailio', ...pbx },
      account: { user: '900' },
      local: { address: '127.0.0.1', port: await freePort() },
      phone: { uri: '201' },
      keys: [{ key: 1, partner: '207' }],
      ...rest,
    }),
    'lampfield.json',
  );
  const log = new MemoryLogger();
  const panel = new FakePanel(loadBoards().find((board) => board.id === 'console')!);
  const watcher = await startWatcher(parsed, { log, panel, platform: testPlatform({ clock }) });
  return { watcher, log, panel };
}

/** Waits until `check` holds, looking again at every turn of the event loop; throws after `ms`. */
export async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
