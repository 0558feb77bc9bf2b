/**
 * A real FreeSWITCH (1.10.12, mod_sofia with manage-presence) as the PBX of the integration tests: the
 * project's one-file configuration (test/freeswitch/freeswitch.xml) in a folder of the test's own, on
 * 127.0.0.1 on free ports (SIP, the event socket, RTP), started, waited for until it answers OPTIONS, and
 * stopped by PID.
 *
 * FreeSWITCH is found at LAMPFIELD_FREESWITCH (a folder holding bin/freeswitch, or a tarball of one) or at
 * ../shared/tools/freeswitch beside the repository (shared/tools/freeswitch/README.md). Debian has no
 * FreeSWITCH package: without either, `freeswitchBuild()` is null and the tests say how to run them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { optionsAnswered, PASSWORDS } from './kamailio.ts';
import { describeOnBuild, pbxBuild, type PbxBuildPlace } from './pbx-build.ts';
import { freePort } from './ports.ts';
import { startProcess, stopProcess, type Started } from './processes.ts';

const CONFIG = fileURLToPath(new URL('../freeswitch/freeswitch.xml', import.meta.url));
/** The event socket's password (test/freeswitch/freeswitch.xml event_socket.conf). */
const EVENT_SOCKET_PASSWORD = 'ClueCon';
/** The folders FreeSWITCH is told to use, each its own under the test's folder. */
const FOLDERS = ['conf', 'log', 'db', 'run', 'temp', 'storage', 'cache', 'recordings', 'certs', 'sounds'];

/** How to run the FreeSWITCH tests where no build was found (the one line a skipped test file says). */
export const FREESWITCH_MISSING =
  'no FreeSWITCH build: set LAMPFIELD_FREESWITCH to a folder (or tarball) holding bin/freeswitch to run the FreeSWITCH tests';

const BUILD: PbxBuildPlace = {
  name: 'freeswitch',
  variable: 'LAMPFIELD_FREESWITCH',
  program: 'bin/freeswitch',
};

/** `describe` for tests that need FreeSWITCH: skipped without a build, the file saying how to run them. */
export function describeOnFreeswitch(): ReturnType<typeof describeOnBuild> {
  return describeOnBuild(BUILD, FREESWITCH_MISSING);
}

/** The folder of a FreeSWITCH build, or null when there is none (test/support/pbx-build.ts). */
export function freeswitchBuild(): string | null {
  return pbxBuild(BUILD);
}

export interface FreeswitchOptions {
  /** How a held call is reported in dialog-info (the profile's presence-hold-state; default `early`). */
  holdState?: 'early' | 'confirmed' | 'terminated';
}

export class Freeswitch {
  private process: Started | null = null;

  private constructor(
    private readonly build: string,
    readonly port: number,
    private readonly eslPort: number,
    private readonly rtpStart: number,
    private readonly dir: string,
    private readonly options: FreeswitchOptions,
  ) {}

  /** FreeSWITCH on free ports, answering; throws when no build was found (check `freeswitchBuild()`). */
  static async start(options: FreeswitchOptions = {}): Promise<Freeswitch> {
    const build = freeswitchBuild();
    if (build == null) throw new Error(FREESWITCH_MISSING);
    const port = await freePort(true);
    const eslPort = await freePort(true);
    // RTP: a run of 20 ports from a free one (FreeSWITCH takes two a call).
    const rtpStart = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'lampfield-freeswitch-run-'));
    const freeswitch = new Freeswitch(build, port, eslPort, rtpStart, dir, options);
    await freeswitch.launch();
    return freeswitch;
  }

  get address(): string {
    return '127.0.0.1';
  }

  /** Its event socket (mod_event_socket), as lampfield's config names it (`pbx.freeswitch.eventSocket`). */
  get eventSocket(): { host: string; port: number; password: string } {
    return { host: '127.0.0.1', port: this.eslPort, password: EVENT_SOCKET_PASSWORD };
  }

  /** FreeSWITCH's log (log/freeswitch.log), for a failing test's message. */
  output(): string {
    try {
      return readFileSync(join(this.dir, 'log', 'freeswitch.log'), 'utf8');
    } catch {
      return this.process?.output() ?? '';
    }
  }

  /** A new FreeSWITCH process on the same ports, with nothing remembered (a PBX restart). */
  async launch(): Promise<void> {
    rmSync(join(this.dir, 'db'), { recursive: true, force: true });
    for (const folder of FOLDERS) mkdirSync(join(this.dir, folder), { recursive: true });
    const values: Record<string, string> = {
      __PORT__: String(this.port),
      __ESL_PORT__: String(this.eslPort),
      __RTP_START__: String(this.rtpStart),
      __RTP_END__: String(this.rtpStart + 20),
      __HOLD_STATE__: this.options.holdState ?? 'early',
      ...Object.fromEntries(Object.entries(PASSWORDS).map(([user, password]) => [`__PW${user}__`, password])),
    };
    let text = readFileSync(CONFIG, 'utf8');
    for (const [key, value] of Object.entries(values)) text = text.replaceAll(key, value);
    writeFileSync(join(this.dir, 'conf', 'freeswitch.xml'), text);
    const folders = FOLDERS.flatMap((folder) => [`-${folder}`, join(this.dir, folder)]);
    // -nf: in the foreground, so that its PID is the one to stop; -nonat: no NAT discovery.
    this.process = startProcess(
      join(this.build, 'bin', 'freeswitch'),
      ['-nf', '-nc', '-nonat', '-mod', join(this.build, 'mod'), ...folders],
      {
        group: true,
        cwd: this.dir,
        env: { ...process.env, LD_LIBRARY_PATH: join(this.build, 'lib') },
      },
    );
    await this.waitUntilAnswering();
  }

  /** Runs one command through the event socket (`fs_cli -x`), returning what it printed. */
  cli(command: string): string {
    return execFileSync(
      join(this.build, 'bin', 'fs_cli'),
      ['-H', '127.0.0.1', '-P', String(this.eslPort), '-p', EVENT_SOCKET_PASSWORD, '-x', command],
      {
        env: { ...process.env, LD_LIBRARY_PATH: join(this.build, 'lib') },
        encoding: 'utf8',
        timeout: 10_000,
        // What it says when FreeSWITCH is not up yet ("Error Connecting") is for the caller to judge.
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  }

  /** Whether FreeSWITCH says it is ready (its core takes calls). */
  private ready(): boolean {
    try {
      return /is ready/.test(this.cli('status'));
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    if (this.process != null) await stopProcess(this.process, 5000);
    this.process = null;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitUntilAnswering(timeoutMs = 20_000): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      if (this.process?.child.exitCode != null) break;
      // OPTIONS are answered before the core takes calls and registrations (503 until then).
      if ((await optionsAnswered('127.0.0.1', this.port, 200)) && this.ready()) return;
      await new Promise((done) => setTimeout(done, 50));
    }
    throw new Error(`FreeSWITCH did not answer on 127.0.0.1:${this.port}:\n${this.output().slice(-4000)}`);
  }
}
