/**
 * `lampfield run [--config FILE]` (BRIEF §8): the product's main loop. Starts the application
 * (src/app/watcher.ts) and the status page the config asks for, runs until SIGINT or SIGTERM, then ends
 * its subscriptions and registration cleanly.
 */
import { startWatcher, type RunningWatcher } from '../app/watcher.ts';
import { SipStackError } from '../sip/stack.ts';
import { systemClock } from '../util/clock.ts';
import { stderrLogger } from '../util/log.ts';
import { startPanelServer, type PanelServer } from '../web/panel-server.ts';
import type { CommandIo } from './command-io.ts';
import { configFromArgs } from './config-args.ts';

export async function runCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const config = configFromArgs('run', args, io);
  if (typeof config === 'number') return config;
  const log = stderrLogger(config.log.level);
  let running: RunningWatcher;
  let page: PanelServer | null = null;
  try {
    if (config.web != null) {
      page = await startPanelServer({ board: config.board, ...config.web });
      const token = config.web.token == null ? '' : ' (add ?token= and the web.token of the config)';
      io.stderr(`lampfield run: the status page is at ${page.url}${token}`);
    }
    running = await startWatcher(config, {
      log,
      clock: systemClock,
      terminal: { write: (line) => io.stdout(line), input: process.stdin },
      ...(page == null ? {} : { viewer: page }),
    });
  } catch (error) {
    await page?.close();
    if (error instanceof SipStackError) {
      io.stderr(`lampfield run: ${error.message} (config local.address/local.port)`);
      return 1;
    }
    io.stderr(`lampfield run: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log.info('stopping');
  await running.stop();
  await page?.close();
  return 0;
}
