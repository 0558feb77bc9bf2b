/**
 * `lampfield run [--config FILE] [--service] [--log-json]` (BRIEF §8): the product's main loop. Starts the application
 * (src/app/lampfield-run.ts: the watcher and the status page, on the card's config or a provisioned one),
 * runs until the process is asked to stop (SIGINT, SIGTERM; SIGHUP, but with --service, as systemd runs
 * it, SIGHUP reloads the config), then ends its subscriptions and registration cleanly.
 */
import type { ConfigFailure } from '../app/config-file.ts';
import { showConfigTrouble } from '../app/config-trouble.ts';
import type { Platform } from '../app/platform.ts';
import { startLampfield, type LampfieldRun } from '../app/lampfield-run.ts';
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
  const loaded = configFromArgs(
    'run',
    args.filter((arg) => arg !== '--service' && arg !== '--log-json'),
    io,
    (failed) => (failure = failed),
  );
  if (typeof loaded === 'number') {
    if (!service || failure == null) return loaded;
    const trouble = await showConfigTrouble(failure, platform, platform.logger('info', logJson));
    if (trouble.url != null) io.stderr(`lampfield run: the mistakes are listed at ${trouble.url}`);
    await platform.stopRequested();
    await trouble.stop();
    return 0;
  }
  const log = platform.logger(loaded.config.log.level, logJson);
  let run: LampfieldRun;
  try {
    run = await startLampfield(loaded.path, loaded.config, {
      platform,
      log,
      reloadOnHangUp: service,
      pageAt: (url, config) => {
        const token = config.web?.token == null ? '' : ' (add ?token= and the web.token of the config)';
        const control = config.web?.control === true ? '; presses on it press keys (web.control)' : '';
        io.stderr(`lampfield run: the status page is at ${url}${token}${control}`);
      },
    });
  } catch (error) {
    io.stderr(`lampfield run: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  await platform.stopRequested();
  log.info('stopping');
  await run.stop();
  return 0;
}
