/**
 * The real things the application runs on, as one interface: the clock, SIP sockets and a TCP connection,
 * the board's hardware, name lookups, certificate files and the trust store, HTTPS for provisioning, the
 * machine's names, DHCP's option 66, whole-file writes, the log, the terminal and the process's stop and reload signals. The composition root (src/real-platform.ts) picks the real ones, once, for the entry
 * (src/main.ts); tests give their own (a fake clock, a board in memory). Nothing below takes a real one
 * by default: what needs time, a socket or a board is handed it from here.
 */
import type { Socket } from 'node:net';
import type { Terminal } from '../../hw/open-board.ts';
import type { Config } from '../config/config.ts';
import type { PanelDevice } from '../panel/panel.ts';
import type { SipStack, SipStackOptions } from '../sip/stack.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger, LogLevel } from '../util/log.ts';
import type { BoardProbe } from './board-checks.ts';

/** What a GET of a provisioning file gave: a new text (with its ETag), or the same as the ETag sent. */
export type Fetched = { changed: true; text: string; etag: string | null } | { changed: false };

export interface FetchOptions {
  /** PEM texts of the CAs to trust; null: Node's own roots. */
  ca: string[] | null;
  /** Sent as If-None-Match: the ETag of the copy in hand. */
  etag: string | null;
}

/** What names this machine in a provisioning URL (`{serial}`, `{mac}`, `{hostname}`). */
export interface MachineNames {
  serial: string;
  /** The first network card's MAC address, 12 lower-case hex digits. */
  mac: string;
  hostname: string;
}

export interface Platform {
  readonly clock: Clock;
  /** A SIP stack on sockets of its own (src/sip/stack.ts). */
  openStack(options: SipStackOptions): Promise<SipStack>;
  /** A TCP connection to `host`:`port`, connecting (Asterisk's manager interface, src/sip/asterisk-manager.ts). */
  connect(host: string, port: number): Socket;
  /** The board the config names, on its hardware (hw/open-board.ts); it keeps trying when that is missing. */
  openBoard(config: Pick<Config, 'board' | 'panel'>, log: Logger, clock: Clock): Promise<PanelDevice>;
  /** What doctor looks at to check a board: device files, the GPIO driver, the USB HID devices. */
  readonly boardProbe: BoardProbe;
  /** The IPv4 address a host name resolves to (DNS); rejects when it does not resolve. */
  resolveHost(host: string): Promise<string>;
  /** A file's text (certificates and keys named by `pbx.tls`); throws as the file system does. */
  readText(path: string): string;
  /** The certificates the system trusts (its CA store beside Node's own roots); null where it has none. */
  trustedCertificates(): string[] | null;
  /**
   * A log at `level`, one line per event on standard error: readable lines for a person at a terminal,
   * JSON lines for the journal, a file or a pipe, and always with `json` (`--log-json`).
   */
  logger(level: LogLevel, options?: { json?: boolean }): Logger;
  /** Where the console board (and the module simulator's view) writes and reads. */
  readonly terminal: Terminal;
  /** Resolves when the process is asked to stop (SIGINT, SIGTERM; SIGHUP too where nothing takes it as a reload). */
  stopRequested(): Promise<void>;
  /**
   * Calls `reload` when the process is asked to read its config again: SIGHUP, which then no longer
   * stops it (for a service: `systemctl reload`; a terminal's hang-up stops a run that does not ask for
   * this). Returns a function that stops that.
   */
  onReload(reload: () => void): () => void;
  /**
   * GETs `url` over HTTPS (certificate and name verified; redirects not followed), within 15 s and
   * 1 MiB; rejects with an Error of one line that says what went wrong.
   */
  fetchText(url: string, options: FetchOptions): Promise<Fetched>;
  readonly machine: MachineNames;
  /**
   * Asks the network's DHCP server what it offers this machine's first network card as option 66
   * (dhcp-provision.ts): its value, null when the server offers none, rejecting (one line) when no
   * server answers within `ms` or port 68 cannot be had.
   */
  askDhcpOption66(ms: number): Promise<string | null>;
  /**
   * Writes `text` to `path` whole or not at all (a power cut leaves the old file or the new): a
   * temporary file beside it, flushed to the disk, renamed over it, and the folder flushed.
   */
  writeWhole(path: string, text: string): void;
}
