/**
 * Where the running config comes from (README "Many panels"): the card's own file, and where it says
 * `provision:`, a file fetched for this panel from a provisioning server, as desk phones fetch theirs.
 * The fetched file's values go over the card's (config.ts parseConfigLayers) and the whole is checked
 * before use: a file that is not a good config changes nothing and is said once. The last good copy is
 * kept (written whole or not at all), so that a panel whose server is away at boot starts as it last
 * ran. Fetched at start, every `provision.everyMinutes` (with If-None-Match, RFC 9110 §13.1.2) and on
 * a reload (SIGHUP), which reads the card's file again too. With `provision: dhcp`, the server is the
 * one DHCP names in option 66 (dhcp-provision.ts), asked before each fetch.
 */
import { BoardsError } from '../config/boards.ts';
import { ConfigError, type Config } from '../config/config.ts';
import { MemoryLogger, type Logger } from '../util/log.ts';
import { readConfigLayers } from './config-file.ts';
import { provisionUrlFromDhcp } from './dhcp-provision.ts';
import type { Platform } from './platform.ts';

/** How long a DHCP server has to answer `provision: dhcp`'s question (it answers in milliseconds). */
const DHCP_WAIT_MS = 4000;

/** A config and where it came from, in words (doctor, the log). */
export interface ConfigFrom {
  config: Config;
  origin: string;
}

/** The last good fetched file, as kept on the disk. */
interface KeptCopy {
  url: string;
  etag: string | null;
  text: string;
  fetchedAt: string;
}

export interface ConfigWatch {
  /** The config now, and where it came from. */
  readonly now: ConfigFrom;
  /** Reads the card's file again and fetches again (SIGHUP); resolves when done. */
  reload(): Promise<void>;
  stop(): void;
}

/**
 * Starts from the card's file at `cardPath` (already read and valid: `card`), fetching what it says.
 * `changed` is told each new config (not at start: `now` holds the first).
 */
export async function watchConfig(
  cardPath: string,
  card: Config,
  platform: Platform,
  log: Logger,
  changed: (next: ConfigFrom) => Promise<void>,
  /** Told each trouble as it is said, and null once a good config came again (the status page). */
  noticed: (trouble: string | null) => void = () => undefined,
): Promise<ConfigWatch> {
  let cardConfig = card;
  let now: ConfigFrom = { config: card, origin: cardPath };
  let lastSaid = '';
  /** Says a trouble once (it is said again only after things went well in between). */
  const trouble = (line: string) => {
    if (line !== lastSaid) {
      log.warn(line);
      noticed(line);
    }
    lastSaid = line;
  };
  let fetched: KeptCopy | null = null;
  let timer: (() => void) | null = null;
  let stopped = false;

  /** The URL DHCP's option 66 named last (`provision: dhcp`); null before one did. */
  let dhcpUrl: string | null = null;
  const urlOf = (config: Config) => {
    const url = config.provision?.url;
    if (url == null) return null;
    if (url !== 'dhcp') return placeholders(url, platform);
    return dhcpUrl == null ? null : placeholders(dhcpUrl, platform);
  };
  /** With `provision: dhcp`, asks the network's DHCP server again which server to fetch from. */
  const askDhcp = async () => {
    const stays = `the config in use stays (${now.origin})`;
    let value: string | null;
    try {
      value = await platform.askDhcpOption66(DHCP_WAIT_MS);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      trouble(`config: provision: dhcp, but ${why}; ${stays}`);
      return;
    }
    const read =
      value == null
        ? { trouble: 'the DHCP server names no provisioning server (option 66)' }
        : provisionUrlFromDhcp(value);
    if ('trouble' in read) {
      trouble(`config: provision: dhcp, but ${read.trouble}; ${stays}`);
      return;
    }
    if (read.url !== dhcpUrl) log.info(`config: DHCP option 66 names ${read.url}`);
    dhcpUrl = read.url;
  };

  /** The card's file with a fetched file over it; null (said) when it is not a good config. */
  const layered = (copy: KeptCopy, what: string): Config | null => {
    try {
      const config = readConfigLayers(cardPath, { text: copy.text, source: copy.url });
      if (config.provision != null && !sameProvision(config, cardConfig))
        throw new Error(`${copy.url}: sets provision, which only the card's file (${cardPath}) sets`);
      return config;
    } catch (error) {
      const lines =
        error instanceof ConfigError || error instanceof BoardsError ? error.message : String(error);
      trouble(
        `config: ${what} refused, the config in use stays (${now.origin}): ${lines.split('\n').join('; ')}`,
      );
      return null;
    }
  };

  const kept = (): KeptCopy | null => {
    const keep = cardConfig.provision?.keep;
    if (keep == null) return null;
    try {
      const copy = JSON.parse(platform.readText(keep)) as Partial<KeptCopy>;
      // With `provision: dhcp`, the copy is of whatever server DHCP named when it was fetched.
      const url = cardConfig.provision?.url === 'dhcp' ? copy.url : urlOf(cardConfig);
      if (typeof url !== 'string' || copy.url !== url || typeof copy.text !== 'string') return null;
      return { url, etag: copy.etag ?? null, text: copy.text, fetchedAt: String(copy.fetchedAt) };
    } catch {
      return null; // none yet, or unreadable: as if none
    }
  };

  const keep = (copy: KeptCopy) => {
    const path = cardConfig.provision?.keep;
    if (path == null) return;
    try {
      platform.writeWhole(path, `${JSON.stringify(copy)}\n`);
    } catch (error) {
      trouble(
        `config: cannot keep the fetched file in ${path}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };

  /** Takes `next` when it differs from the config in use. */
  const take = async (next: ConfigFrom) => {
    const same = JSON.stringify(next.config) === JSON.stringify(now.config);
    now = next;
    if (!same && started) await changed(next);
  };
  /** Until the first config is settled, nothing runs yet to be told of a change. */
  let started = false;

  /** One fetch: a new good file is taken and kept; the same, a refusal or no answer changes nothing. */
  const fetchOnce = async (): Promise<void> => {
    const provision = cardConfig.provision;
    if (provision?.url === 'dhcp') await askDhcp();
    const url = urlOf(cardConfig);
    if (provision == null || url == null) return;
    let ca: string[] | null;
    try {
      ca = provision.ca == null ? platform.trustedCertificates() : [platform.readText(provision.ca)];
    } catch (error) {
      trouble(
        `config: provision.ca: cannot read ${provision.ca}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    let answer;
    try {
      answer = await platform.fetchText(url, { ca, etag: fetched?.url === url ? fetched.etag : null });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      trouble(`config: cannot fetch ${url}: ${why}; the config in use stays (${now.origin})`);
      return;
    }
    if (!answer.changed) {
      // 304: the copy in hand (kept at start, or fetched before) is still the server's file.
      if (fetched != null) now = { config: now.config, origin: originOf(fetched, cardPath, 'fetched') };
      return;
    }
    const copy: KeptCopy = {
      url,
      etag: answer.etag,
      text: answer.text,
      fetchedAt: new Date().toISOString() /* the wall clock's date, for a person */,
    };
    if (fetched?.text === copy.text && now.origin === originOf(fetched, cardPath, 'fetched')) {
      fetched = copy;
      return;
    }
    const config = layered(copy, url);
    if (config == null) return;
    if (lastSaid !== '') {
      log.info(`config: ${url} fetched and good again`);
      noticed(null);
    }
    lastSaid = '';
    fetched = copy;
    keep(copy);
    await take({ config, origin: originOf(copy, cardPath, 'fetched') });
  };

  const schedule = () => {
    timer?.();
    timer = null;
    const provision = cardConfig.provision;
    if (provision == null || stopped) return;
    timer = platform.clock.after(provision.everyMinutes * 60_000, () => {
      void fetchOnce().finally(schedule);
    });
  };

  // At start: the kept copy first (the panel starts as it last ran if the server is away), then a fetch.
  const copy = kept();
  if (copy != null) {
    const config = layered(copy, `the kept copy of ${copy.url}`);
    if (config != null) {
      fetched = copy;
      now = { config, origin: originOf(copy, cardPath, 'kept') };
    }
  }
  const first = now;
  await fetchOnce().catch(() => undefined);
  started = true;
  if (now !== first) log.info(`config: from ${now.origin}`);
  schedule();

  return {
    get now() {
      return now;
    },
    reload: async () => {
      let card: Config;
      try {
        card = readConfigLayers(cardPath);
      } catch (error) {
        const lines = error instanceof Error ? error.message : String(error);
        trouble(
          `config: ${cardPath} refused on reload, the config in use stays: ${lines.split('\n').join('; ')}`,
        );
        return;
      }
      cardConfig = card;
      if (card.provision == null) {
        fetched = null;
        await take({ config: card, origin: cardPath });
      } else {
        const again = fetched == null ? null : layered(fetched, `${fetched.url}`);
        if (again != null && fetched != null)
          await take({ config: again, origin: originOf(fetched, cardPath, 'fetched') });
        await fetchOnce();
      }
      schedule();
    },
    stop: () => {
      stopped = true;
      timer?.();
    },
  };
}

/**
 * For doctor: the config a run would use now (fetched now where the card says provision:, nothing
 * written), and lines that say where it came from and what went wrong on the way.
 */
export async function configInUse(
  path: string,
  card: Config,
  platform: Platform,
): Promise<{ config: Config; said: string[] }> {
  if (card.provision == null) return { config: card, said: [] };
  const log = new MemoryLogger();
  const watch = await watchConfig(path, card, { ...platform, writeWhole: () => undefined }, log, () =>
    Promise.resolve(),
  );
  watch.stop();
  const troubles = log.lines.filter((line) => line.level === 'warn').map((line) => `FAIL  ${line.message}`);
  return { config: watch.now.config, said: [...troubles, `ok    config: from ${watch.now.origin}`] };
}

function originOf(copy: KeptCopy, cardPath: string, how: 'fetched' | 'kept'): string {
  return how === 'fetched'
    ? `${copy.url} over ${cardPath}`
    : `the kept copy of ${copy.url} (fetched ${copy.fetchedAt}) over ${cardPath}`;
}

/** Whether a fetched file left the card's provision as it was (its values over the card's are the same). */
function sameProvision(config: Config, card: Config): boolean {
  return JSON.stringify(config.provision) === JSON.stringify(card.provision);
}

/** `{serial}`, `{mac}` and `{hostname}` in a provisioning URL, each as a URL's path may hold it. */
export function placeholders(url: string, platform: Pick<Platform, 'machine'>): string {
  const names: Record<string, string> = { ...platform.machine };
  return url.replace(/\{(serial|mac|hostname)\}/g, (_, name: string) =>
    encodeURIComponent(names[name] ?? ''),
  );
}
