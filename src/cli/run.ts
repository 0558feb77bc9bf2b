/**
 * `lampfield run [--config FILE] [--service] [--log-json]` (BRIEF §8): the product's main loop. Starts the application
 * (src/app/watcher.ts) and the status page the config asks for, runs until the process is asked to stop
 * (SIGINT, SIGTERM, SIGHUP), then ends its subscriptions and registration cleanly.
 */
import type { ConfigFailure } from '../app/config-file.ts';
import { showConfigTrouble } from '../app/config-trouble.ts';
import type { Platform } from '../app/platform.ts';
import { startStatusPage } from '../app/status-page.ts';
import { startWatcher, type RunningWatcher } from '../app/watcher.ts';
import type { CommandIo } from './command-io.ts';
import { configFromArgs } from './config-args.ts';

export async function runCommand(
  args: readonly string[],
  io: CommandIo,
  platform: Platform,
): Promise<number> {
  // --service: the boot-time service (deploy/lampfield.service). A config mistake is then shown on the
  // panel and the status page, and lampfield waits for a restart instead of exiting.
  const service = args.includes('--service');
  // --log-json: JSON log lines even on a terminal (they are JSON anyway wherever standard error is not one).
  const logJson = { json: args.includes('--log-json') };
  let failure: ConfigFailure | null = null;
  const config = configFromArgs(
    'run',
    args.filter((arg) => arg !== '--service' && arg !== '--log-json'),
    io,
    (failed) => (failure = failed),
  );
  if (typeof config === 'number') {
    if (!service || failure == null) return config;
    const trouble = await showConfigTrouble(failure, platform, platform.logger('info', logJson));
    if (trouble.url != null) io.stderr(`lampfield run: the mistakes are listed at ${trouble.url}`);
    await platform.stopRequested();
    await trouble.stop();
    return 0;
  }
  const log = platform.logger(config.log.level, logJson);
  let running: RunningWatcher | null = null;
  let page: Awaited<ReturnType<typeof startStatusPage>> = null;
  try {
    // With web.control, a press on the page is a press of the panel's key.
    page = await startStatusPage(config, platform.clock, (key, gesture) =>
      running?.pressFromPage(key, gesture),
    );
    if (page != null && config.web != null) {
      const token = config.web.token == null ? '' : ' (add ?token= and the web.token of the config)';
      const control = config.web.control ? '; presses on it press keys (web.control)' : '';
      io.stderr(`lampfield run: the status page is at ${page.url}${token}${control}`);
    }
    running = await startWatcher(config, { platform, log, ...(page == null ? {} : { viewer: page }) });
  } catch (error) {
    await page?.close();
    io.stderr(`lampfield run: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  await platform.stopRequested();
  log.info('stopping');
  await running.stop();
  await page?.close();
  return 0;
}
