/**
 * `lampfield run` as a whole (README "Running lampfield"): the status page the config asks for and the
 * watcher (watcher.ts), on the config in use (provisioning.ts: the card's file, or a provisioning
 * server's file over it). A new config is applied as soon as it comes: one whose keys alone changed is
 * taken by the running watcher (no call ends, partners still on a key keep their subscriptions);
 * otherwise the watcher and the page stop and start on it. A reload (SIGHUP) reads the card's file
 * again and fetches again. Calls the desk phone has are the PBX's and go on; a call lampfield itself
 * controls (phone.mode controller) ends with a watcher that stops.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Gesture } from '../blf/key-actions.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../util/log.ts';
import type { Platform } from './platform.ts';
import { watchConfig, type ConfigFrom } from './provisioning.ts';
import { startStatusPage } from './status-page.ts';
import { updateWhenAsked } from './update.ts';
import { startWatcher, type RunningWatcher } from './watcher.ts';

export interface LampfieldRun {
  /** The config in use now, and where it came from. */
  readonly now: ConfigFrom;
  stop(): Promise<void>;
}

export interface RunSetup {
  platform: Platform;
  log: Logger;
  /** Said once for each page started: its address. */
  pageAt(url: string, config: Config): void;
  /** SIGHUP reloads the config (a service) instead of stopping (a terminal's hang-up). */
  reloadOnHangUp: boolean;
}

type Page = Awaited<ReturnType<typeof startStatusPage>>;

/** An update's bundle is fetched from where the provisioning server is, trusting the same CA. */
function updateCa(config: Config, platform: Platform): string[] | null {
  try {
    return config.provision?.ca == null
      ? platform.trustedCertificates()
      : [platform.readText(config.provision.ca)];
  } catch {
    return platform.trustedCertificates();
  }
}

/**
 * Whether two configs differ in their keys alone (and in where updates and the file come from, which
 * stop nothing): the watcher then takes the new keys as it runs, and no call or subscription of a key
 * that stayed is touched.
 */
function onlyKeysDiffer(before: Config, after: Config): boolean {
  const rest = ({ keys: _keys, update: _update, provision: _provision, ...others }: Config) => others;
  return isDeepStrictEqual(rest(before), rest(after));
}

/** Starts on the card's config (`card`, read from `cardPath`); throws (one line) when it cannot start. */
export async function startLampfield(cardPath: string, card: Config, setup: RunSetup): Promise<LampfieldRun> {
  const { platform, log } = setup;
  let running: RunningWatcher | null = null;
  let page: Page = null;
  /** What the page says of a refused config, kept for a page started again. */
  let note: string | null = null;

  const startPage = async (config: Config) => {
    // With web.control, a press on the page is a press of the panel's key.
    page = await startStatusPage(config, platform.clock, (key: number, gesture: Gesture) =>
      running?.pressFromPage(key, gesture),
    );
    if (page != null) setup.pageAt(page.url, config);
    page?.configNote(note);
  };
  // The page too starts again: its keys, labels and settings are the config's.
  const start = async (config: Config) => {
    await page?.close();
    page = null;
    await startPage(config);
    const viewer = page ?? undefined;
    running = await startWatcher(config, { platform, log, ...(viewer == null ? {} : { viewer }) });
    // An update the config asks for (a provisioning server's file, README "Updating"): in the background.
    void updateWhenAsked(config, updateCa(config, platform), log);
  };

  // New configs one after the other: each applied once the one before it is.
  let applying = Promise.resolve();
  let previous: Config = card;
  const apply = (next: ConfigFrom) => {
    applying = applying.then(async () => {
      log.info(`config: applying the config from ${next.origin}`);
      if (
        running != null &&
        onlyKeysDiffer(previous, next.config) &&
        (await running.changeKeys(next.config.keys))
      ) {
        previous = next.config;
        void updateWhenAsked(next.config, updateCa(next.config, platform), log);
        return;
      }
      await running?.stop();
      running = null;
      try {
        await start(next.config);
        previous = next.config;
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        log.error(`config: the config from ${next.origin} does not start (${why}); back to the one before`);
        await start(previous).catch((again: unknown) =>
          log.error(`config: the one before does not start either: ${String(again)}`),
        );
      }
    });
    return applying;
  };

  const watch = await watchConfig(cardPath, card, platform, log, apply, (trouble) => {
    note = trouble;
    page?.configNote(trouble);
  });
  previous = watch.now.config;
  try {
    await start(watch.now.config);
  } catch (error) {
    watch.stop();
    await (page as Page)?.close();
    throw error;
  }
  const stopReloading = setup.reloadOnHangUp
    ? platform.onReload(() => {
        log.info('config: reloading (SIGHUP)');
        void watch.reload();
      })
    : () => undefined;
  return {
    get now() {
      return watch.now;
    },
    stop: async () => {
      stopReloading();
      watch.stop();
      await applying;
      await running?.stop();
      await page?.close();
    },
  };
}
