/**
 * `lampfield update FILE|URL` on lampfield's card (README "Updating"): a signed RAUC bundle
 * (lampfield-<version>-arm64.raucb, made by npm run image) written into the root slot not running, by
 * RAUC (Debian's `rauc`), which checks its signature against the card's keyring first. A URL is fetched
 * over HTTPS onto the data partition first. The slot written is noted for lampfield-health, which keeps
 * it once lampfield runs there after the reboot, or goes back to the slot before. The same, by itself,
 * when the config asks for an update (`update: { bundle, version }`, usually a provisioning server's
 * file) and the card runs another version: once per version asked, then a reboot through
 * lampfield-reboot.path (lampfield runs as its own user; root reboots).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { Config } from '../config/config.ts';
import type { Logger } from '../util/log.ts';
import { packageFile } from '../util/package-files.ts';

const RAUC_CONF = '/etc/rauc/system.conf';
const DATA_DIR = '/var/lib/lampfield';
const PENDING = `${DATA_DIR}/update-pending`;
/** The version an update was last tried for (once per version: a bundle that fails is not fetched again and again). */
const ATTEMPTED = `${DATA_DIR}/update-attempted`;
/** Watched by lampfield-reboot.path (root): its presence reboots the card. */
const REBOOT_REQUEST = `${DATA_DIR}/reboot-requested`;
/** The card's version, written by npm run image (and by each bundle's root). */
const CARD_VERSION = '/etc/lampfield-version';
/** A bundle is a root file system: bounded, so that a wrong URL does not fill the card. */
const MOST_BYTES = 2 * 1024 * 1024 * 1024;

export interface UpdateSetup {
  /** Lines for the person who asked (standard output). */
  say: (line: string) => void;
  /** RAUC's own progress, as it comes. */
  progress: 'inherit' | 'ignore';
  /** PEM texts of the CAs to trust for a URL; null: Node's own roots. */
  ca: string[] | null;
}

/** Installs the bundle at `source`; resolves with the command's exit code, having said why when not 0. */
export async function installUpdate(source: string, setup: UpdateSetup): Promise<number> {
  const { say } = setup;
  if (process.getuid?.() !== 0) {
    say('lampfield update: run it as root (sudo lampfield update …): RAUC writes the other root slot');
    return 1;
  }
  if (!existsSync(RAUC_CONF)) {
    say(
      `lampfield update: no ${RAUC_CONF} here: updates are for lampfield's card image (elsewhere: npm install)`,
    );
    return 1;
  }
  const booted = bootedSlot();
  if (booted == null) {
    say('lampfield update: this system was not started from a root slot (no rauc.slot= on its command line)');
    return 1;
  }
  let file = source;
  const fetched = /^https:\/\//.test(source);
  if (fetched) {
    file = `${DATA_DIR}/update.raucb`;
    try {
      await download(source, file, setup.ca);
    } catch (error) {
      rmSync(file, { force: true });
      say(
        `lampfield update: cannot fetch ${source}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return 1;
    }
  } else if (/^[a-z]+:\/\//.test(source)) {
    say(`lampfield update: ${source}: a file or an https:// URL`);
    return 2;
  } else if (!existsSync(source)) {
    say(`lampfield update: ${source}: no such file`);
    return 1;
  }
  const code = await raucInstall(file, setup.progress);
  if (fetched) rmSync(file, { force: true });
  if (code !== 0) {
    say(
      code === 127
        ? 'lampfield update: rauc is not installed'
        : `lampfield update: RAUC refused or failed (exit ${code}; its lines above say why); nothing changed`,
    );
    return 1;
  }
  const written = notePending(booted);
  say(`lampfield update: written to slot ${written}; it starts at the next boot (systemctl reboot)`);
  say(
    `lampfield update: if lampfield does not start there within 2 minutes, the card goes back to slot ${booted} by itself`,
  );
  return 0;
}

/** The version running: the card's (/etc/lampfield-version), else lampfield's own (package.json). */
export function runningVersion(): string {
  try {
    return readFileSync(CARD_VERSION, 'utf8').trim();
  } catch {
    return (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
  }
}

let updating = false;

/**
 * When `config` asks for an update (`update:`) of another version than the one running, on a card with
 * RAUC, and it was not tried before: fetches the bundle, installs it into the other slot and asks for a
 * reboot. Says each step in the log, a failure in one line; never throws.
 */
export async function updateWhenAsked(config: Config, ca: string[] | null, log: Logger): Promise<void> {
  const asked = config.update;
  if (asked == null || updating || !existsSync(RAUC_CONF)) return;
  const running = runningVersion();
  const tried = existsSync(ATTEMPTED) ? readFileSync(ATTEMPTED, 'utf8').trim() : null;
  if (asked.version === running || asked.version === tried) return;
  const booted = bootedSlot();
  if (booted == null) return;
  updating = true;
  try {
    writeFileSync(ATTEMPTED, `${asked.version}\n`);
    log.info(`update: version ${asked.version} asked (running ${running}): fetching ${asked.bundle}`);
    const file = `${DATA_DIR}/update.raucb`;
    try {
      // A bundle left by an install cut short (root's, when `lampfield update` ran): this folder is ours.
      rmSync(file, { force: true });
      await download(asked.bundle, file, ca);
    } catch (error) {
      rmSync(file, { force: true });
      log.error(
        `update: cannot fetch ${asked.bundle}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    const code = await raucInstall(file, 'ignore');
    rmSync(file, { force: true });
    if (code !== 0) {
      log.error(`update: RAUC did not install ${asked.bundle} (exit ${code}); the card stays on ${running}`);
      return;
    }
    const written = notePending(booted);
    log.info(`update: version ${asked.version} written to slot ${written}; rebooting into it`);
    writeFileSync(REBOOT_REQUEST, '');
  } catch (error) {
    log.error(`update: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    updating = false;
  }
}

/** The root slot U-Boot started (image/boot/boot.cmd puts rauc.slot= on the command line), or null. */
function bootedSlot(): 'A' | 'B' | null {
  const slot = /\brauc\.slot=([AB])\b/.exec(readFileSync('/proc/cmdline', 'utf8'))?.[1];
  return slot === 'A' || slot === 'B' ? slot : null;
}

/** `rauc install FILE`, its output to `progress`; its exit code, 127 when rauc is not there. */
function raucInstall(file: string, progress: 'inherit' | 'ignore'): Promise<number> {
  return new Promise((resolve) => {
    const rauc = spawn('rauc', ['install', file], { stdio: ['ignore', progress, progress] });
    rauc.on('error', () => resolve(127));
    rauc.on('close', (status) => resolve(status ?? 1));
  });
}

/** Notes for lampfield-health the slot just written (the one not `booted`), and returns it. */
function notePending(booted: 'A' | 'B'): 'A' | 'B' {
  const written = booted === 'A' ? 'B' : 'A';
  writeFileSync(PENDING, `${written}\n`);
  return written;
}

function download(url: string, file: string, ca: string[] | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ...(ca == null ? {} : { ca }), timeout: 30_000 }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`HTTP ${response.statusCode ?? '?'} ${response.statusMessage ?? ''}`.trim()));
        return;
      }
      const out = createWriteStream(file, { mode: 0o600 });
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MOST_BYTES) request.destroy(new Error('more than 2 GiB'));
      });
      response.pipe(out);
      out.on('finish', () => resolve());
      out.on('error', reject);
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('no answer in 30 s')));
    request.on('error', reject);
  });
}
