/**
 * A real Asterisk (23.4.1, res_pjsip) as the PBX of the integration tests, as most lampfield users run
 * it: the project's own configuration (test/asterisk/) in a folder of the test's own, on 127.0.0.1 on a
 * free port, started, waited for until it answers OPTIONS, and stopped by PID.
 *
 * Asterisk is found at LAMPFIELD_ASTERISK (a folder holding sbin/asterisk, or a tarball of one) or at
 * ../shared/tools/asterisk beside the repository (shared/tools/asterisk/README.md). Debian has no
 * Asterisk package: without either, `asteriskBuild()` is null and the tests say how to run them.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { optionsAnswered, PASSWORDS } from './kamailio.ts';
import { describeOnBuild, pbxBuild, type PbxBuildPlace } from './pbx-build.ts';
import { freePort } from './ports.ts';
import { startProcess, stopProcess, type Started } from './processes.ts';

const CONFIG = fileURLToPath(new URL('../asterisk/', import.meta.url));
/** Configuration files Asterisk looks for that the tests leave empty (or it logs that each is missing). */
const EMPTY = [
  'geolocation.conf',
  'statsd.conf',
  'pjsip_notify.conf',
  'features.conf',
  'acl.conf',
  'udptl.conf',
  'pjproject.conf',
  'indications.conf',
  'cel.conf',
  'ccss.conf',
  'musiconhold.conf',
];

/** How to run the Asterisk tests where no build was found (the one line a skipped test file says). */
export const ASTERISK_MISSING =
  'no Asterisk build: set LAMPFIELD_ASTERISK to a folder (or tarball) holding sbin/asterisk to run the Asterisk tests';

const BUILD: PbxBuildPlace = { name: 'asterisk', variable: 'LAMPFIELD_ASTERISK', program: 'sbin/asterisk' };

/** `describe` for tests that need Asterisk: skipped without a build, the file saying how to run them. */
export function describeOnAsterisk(): ReturnType<typeof describeOnBuild> {
  return describeOnBuild(BUILD, ASTERISK_MISSING);
}

/** The folder of a Asterisk build, or null when there is none (test/support/pbx-build.ts). */
export function asteriskBuild(): string | null {
  return pbxBuild(BUILD);
}

export interface AsteriskOptions {
  /**
   * The directed pickup line FreePBX writes (`**` + extension runs `Pickup()`); plain Asterisk has
   * none. Default true.
   */
  pickupLine?: boolean;
  /** The manager interface (AMI) on a port of its own, with lampfield's user (`ami.user`/`ami.secret`). */
  manager?: boolean;
}

export const AMI_USER = 'lampfield';
export const AMI_SECRET = 'ami-secret';

export class Asterisk {
  private process: Started | null = null;

  private constructor(
    private readonly build: string,
    readonly port: number,
    /** The manager interface's port (options.manager), else 0. */
    readonly managerPort: number,
    private readonly dir: string,
    private readonly options: AsteriskOptions,
  ) {}

  /** Asterisk on a free port, answering; throws when no build was found (check `asteriskBuild()`). */
  static async start(options: AsteriskOptions = {}): Promise<Asterisk> {
    const build = asteriskBuild();
    if (build == null) throw new Error(ASTERISK_MISSING);
    const port = await freePort(true);
    const managerPort = options.manager === true ? await freePort(true) : 0;
    const dir = mkdtempSync(join(tmpdir(), 'lampfield-asterisk-run-'));
    const asterisk = new Asterisk(build, port, managerPort, dir, options);
    await asterisk.launch();
    return asterisk;
  }

  get address(): string {
    return '127.0.0.1';
  }

  /** Asterisk's console output, for a failing test's message. */
  output(): string {
    return this.process?.output() ?? '';
  }

  /** A new Asterisk process on the same port, with nothing remembered (a PBX restart). */
  async launch(): Promise<void> {
    const etc = join(this.dir, 'etc');
    for (const folder of ['etc', 'cache', 'lib', 'agi', 'spool', 'run', 'log'])
      mkdirSync(join(this.dir, folder), { recursive: true });
    rmSync(join(this.dir, 'lib', 'astdb.sqlite3'), { force: true });
    const values: Record<string, string> = {
      __DIR__: this.dir,
      __AST__: this.build,
      __PORT__: String(this.port),
      __PICKUP__: this.options.pickupLine === false ? '' : 'include => app-pickup',
      __MANAGER__: this.options.manager === true ? 'yes' : 'no',
      __MANAGER_PORT__: String(this.managerPort || 5038),
      __AMI_USER__: AMI_USER,
      __AMI_SECRET__: AMI_SECRET,
      ...Object.fromEntries(Object.entries(PASSWORDS).map(([user, password]) => [`__PW${user}__`, password])),
    };
    for (const name of readdirSync(CONFIG).filter((file) => file.endsWith('.conf'))) {
      let text = readFileSync(join(CONFIG, name), 'utf8');
      for (const [key, value] of Object.entries(values)) text = text.replaceAll(key, value);
      writeFileSync(join(etc, name), text);
    }
    for (const name of EMPTY) if (!existsSync(join(etc, name))) writeFileSync(join(etc, name), '');
    // -f: in the foreground, so that its PID is the one to stop; its own process group, so that nothing
    // it starts outlives the test.
    this.process = startProcess(
      join(this.build, 'sbin', 'asterisk'),
      ['-f', '-C', join(etc, 'asterisk.conf')],
      {
        group: true,
        cwd: this.dir,
        env: { ...process.env, LD_LIBRARY_PATH: join(this.build, 'lib') },
      },
    );
    await this.waitUntilAnswering();
  }

  /** Runs one command on Asterisk's command line (`asterisk -rx`), returning what it printed. */
  cli(command: string): string {
    return execFileSync(
      join(this.build, 'sbin', 'asterisk'),
      ['-C', join(this.dir, 'etc', 'asterisk.conf'), '-rx', command],
      {
        env: { ...process.env, LD_LIBRARY_PATH: join(this.build, 'lib') },
        encoding: 'utf8',
        timeout: 10_000,
      },
    );
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
      if (/Asterisk Ready/.test(this.output()) && (await optionsAnswered('127.0.0.1', this.port, 200)))
        return;
      await new Promise((done) => setTimeout(done, 50));
    }
    throw new Error(`Asterisk did not answer on 127.0.0.1:${this.port}:\n${this.output().slice(-4000)}`);
  }
}
