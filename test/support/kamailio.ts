/**
 * Kamailio as the real PBX of the integration tests (shared/notes/kamailio.md): the project's own
 * config (test/kamailio/kamailio.cfg) on 127.0.0.1, started, waited for until it answers OPTIONS, and
 * stopped by PID.
 */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';
import { startProcess, stopProcess, type Started } from './processes.ts';

const CONFIG = fileURLToPath(new URL('../kamailio/kamailio.cfg', import.meta.url));
/** Debian's db_text table templates (kamailio package). */
const DBTEXT = '/usr/share/kamailio/dbtext/kamailio';
const SCHEMAS = [
  '/usr/share/kamailio/db_sqlite/standard-create.sql',
  '/usr/share/kamailio/db_sqlite/presence-create.sql',
];

/** Passwords of the extensions the config knows (test/kamailio/kamailio.cfg, htable:mod-init). */
export const PASSWORDS: Readonly<Record<string, string>> = {
  '900': 'watch900',
  '201': 'desk201',
  '207': 'phone207',
  '211': 'phone211',
  '212': 'phone212',
};

export interface KamailioOptions {
  /** Digest authentication with challenges of this algorithm; none when absent. */
  auth?: 'MD5' | 'SHA-256';
  /** Challenge only the watcher (900), for algorithms sipp cannot answer. */
  authWatcherOnly?: boolean;
  /** Resource lists (RFC 4662, Kamailio's rls) the PBX serves: each a subscriber's, by its URI. */
  lists?: readonly ResourceList[];
  /** SIP over TLS too, with this certificate and key (PEM files), on `tlsPort`. */
  tls?: { cert: string; key: string };
  /** Log each SUBSCRIBE a client sends (`subscribesSeen`). */
  logSubscribes?: boolean;
}

/** A resource list of the dialog event package, as one subscriber's rls-services document holds it. */
export interface ResourceList {
  /** The subscriber whose list it is (rls looks the list up by the SUBSCRIBE's From user). */
  owner: string;
  /** The list's URI, as `sip:user@host` (rls compares it without a port). */
  uri: string;
  /** The partners' URIs. */
  entries: readonly string[];
}

export class Kamailio {
  private process: Started | null = null;

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly options: KamailioOptions,
    /** The port of SIP over TLS (options.tls), else 0. */
    readonly tlsPort: number,
  ) {}

  static async start(options: KamailioOptions = {}): Promise<Kamailio> {
    const port = await freePort(true);
    const dir = mkdtempSync(join(tmpdir(), 'lampfield-kamailio-'));
    const kamailio = new Kamailio(port, dir, options, options.tls == null ? 0 : await freePort(true));
    await kamailio.launch();
    return kamailio;
  }

  get address(): string {
    return '127.0.0.1';
  }

  /** Kamailio's own output, for a failing test's message. */
  output(): string {
    return this.process?.output() ?? '';
  }

  /** SUBSCRIBEs clients sent so far (with `logSubscribes`). */
  subscribesSeen(): number {
    return this.output().split('SUBSCRIBE counted:').length - 1;
  }

  /** A new Kamailio process on the same port, with nothing remembered (a PBX restart). */
  async launch(): Promise<void> {
    const db = join(this.dir, 'presence.sqlite');
    rmSync(db, { force: true });
    execFileSync('sqlite3', [db], { input: SCHEMAS.map((file) => readFileSync(file, 'utf8')).join('\n') });
    const config = readFileSync(CONFIG, 'utf8')
      .replaceAll('__PORT__', String(this.port))
      .replaceAll('__DB__', `/${db}`);
    const file = join(this.dir, 'kamailio.cfg');
    writeFileSync(
      file,
      config
        .replaceAll('__RLSDB__', this.rlsTables())
        .replaceAll('__TLSPORT__', String(this.tlsPort))
        .replaceAll('__TLSCFG__', this.tlsConfig()),
    );
    const defines: string[] =
      this.options.auth == null
        ? []
        : [
            '-A',
            'WITH_AUTH',
            '-A',
            `AUTH_ALGORITHM="${this.options.auth}"`,
            ...(this.options.authWatcherOnly === true ? ['-A', 'AUTH_WATCHER_ONLY'] : []),
          ];
    if (this.options.lists != null) defines.push('-A', 'WITH_RLS');
    if (this.options.tls != null) defines.push('-A', 'WITH_TLS');
    if (this.options.logSubscribes === true) defines.push('-A', 'LOG_SUBSCRIBES');
    // -DD keeps the main process in the foreground, so its PID is the one to stop.
    this.process = startProcess(
      'kamailio',
      ['-f', file, '-P', join(this.dir, 'kamailio.pid'), '-DD', '-E', '-w', this.dir, ...defines],
      { group: true },
    );
    await this.waitUntilAnswering();
  }

  /**
   * A db_text folder with rls's tables (Debian's templates) and the xcap table holding each list as an
   * rls-services document (doc_type 8), as rls's integrated XCAP server reads them.
   */
  private rlsTables(): string {
    const folder = join(this.dir, 'rls');
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder);
    for (const table of ['version', 'rls_presentity', 'rls_watchers'])
      copyFileSync(join(DBTEXT, table), join(folder, table));
    const rows = (this.options.lists ?? []).map((list, index) => {
      const entries = list.entries.map((uri) => `<entry uri="${uri}"/>`).join('');
      const doc =
        '<?xml version="1.0" encoding="UTF-8"?>' +
        '<rls-services xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists">' +
        `<service uri="${list.uri}"><list xmlns="urn:ietf:params:xml:ns:resource-lists">${entries}</list>` +
        '<packages><package>dialog</package></packages></service></rls-services>';
      // db_text escapes ':' (its field separator) and '\\' with a backslash.
      const field = (value: string) => value.replaceAll('\\', '\\\\').replaceAll(':', '\\:');
      return [
        index + 1,
        list.owner,
        '127.0.0.1',
        field(doc),
        8,
        `etag${index}`,
        1,
        field(`lists/${index}`),
        0,
      ].join(':');
    });
    const head = readFileSync(join(DBTEXT, 'xcap'), 'utf8').split('\n')[0];
    writeFileSync(join(folder, 'xcap'), `${head}\n${rows.map((row) => `${row}\n`).join('')}`);
    return folder;
  }

  /** The tls module's config: the server certificate for every client, none asked of them. */
  private tlsConfig(): string {
    const file = join(this.dir, 'tls.cfg');
    const { tls } = this.options;
    if (tls == null) return file;
    writeFileSync(
      file,
      [
        '[server:default]',
        'method = TLSv1.2+',
        'verify_certificate = no',
        'require_certificate = no',
        `private_key = ${tls.key}`,
        `certificate = ${tls.cert}`,
        '',
        '[client:default]',
        'verify_certificate = no',
        'require_certificate = no',
        '',
      ].join('\n'),
    );
    return file;
  }

  async stop(): Promise<void> {
    if (this.process != null) await stopProcess(this.process);
    this.process = null;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitUntilAnswering(timeoutMs = 10_000): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      if (await optionsAnswered('127.0.0.1', this.port, 200)) return;
      if (this.process?.child.exitCode != null) break;
    }
    throw new Error(`Kamailio did not answer on 127.0.0.1:${this.port}:\n${this.output()}`);
  }
}

/** Sends one OPTIONS and waits `waitMs` for any answer. */
export function optionsAnswered(address: string, port: number, waitMs: number): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), waitMs);
    const finish = (answered: boolean) => {
      clearTimeout(timer);
      socket.close(() => resolve(answered));
    };
    socket.on('message', (data) => finish(data.toString().startsWith('SIP/2.0 ')));
    socket.bind(0, '127.0.0.1', () => {
      const local = socket.address().port;
      const branch = `z9hG4bK-probe-${Math.random().toString(36).slice(2)}`;
      socket.send(
        [
          `OPTIONS sip:${address}:${port} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch}`,
          'From: <sip:probe@127.0.0.1>;tag=probe',
          `To: <sip:${address}:${port}>`,
          `Call-ID: ${branch}`,
          'CSeq: 1 OPTIONS',
          'Max-Forwards: 70',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
        port,
        address,
      );
    });
  });
}
