/**
 * The command line as a newcomer meets it: `--version`, `help`, `help COMMAND`, `COMMAND --help` on every
 * command (exit 0, every option listed), and option errors that name the option and what it accepts.
 * The real command in a child process.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const COMMANDS = ['run', 'sim', 'init', 'doctor', 'install-service', 'decode', 'module'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function lampfield(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error == null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The options a command's help lists: every `--name` at the start of an option line. */
const listed = (help: string) => [...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((match) => match[1]);

describe('lampfield --version and help', () => {
  it('prints its version, exit 0', async () => {
    for (const flag of ['--version', '-V', 'version']) {
      const run = await lampfield([flag]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toBe(`lampfield ${VERSION}\n`);
    }
  });

  it('lists every command in the top-level help, exit 0', async () => {
    const run = await lampfield(['help']);
    expect(run.code).toBe(0);
    for (const command of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    expect(run.stdout).toContain('lampfield help COMMAND');
  });

  it.each(COMMANDS)(
    'gives %s its help with help COMMAND and COMMAND --help, the same, exit 0',
    async (command) => {
      const viaHelp = await lampfield(['help', command]);
      const viaFlag = await lampfield([command, '--help']);
      expect(viaHelp.code).toBe(0);
      expect(viaFlag.code).toBe(0);
      expect(viaFlag.stdout).toBe(viaHelp.stdout);
      expect(viaHelp.stdout.split('\n')[0]).toMatch(new RegExp(`^usage: lampfield ${command} `));
      // Every option of the usage line has a line of its own saying what it means.
      const inUsage = [...viaHelp.stdout.split('\n')[0]!.matchAll(/(--[a-z-]+)/g)].map((match) => match[1]);
      expect(inUsage.length).toBeGreaterThan(0);
      expect(new Set(listed(viaHelp.stdout))).toEqual(new Set(inUsage));
    },
  );

  it('lists sim --board, --port and --json (the top-level help once left them out)', async () => {
    const run = await lampfield(['help', 'sim']);
    expect(listed(run.stdout)).toEqual(
      expect.arrayContaining(['--board', '--port', '--json', '--dialect', '--keys', '--expires']),
    );
    expect(run.stdout).toMatch(
      /^ {2}--board ID +.*module-20rgb \(default\), module-40bicolor, module-160rgb$/m,
    );
  });

  it('says an unknown command in one line with the commands there are, exit 2', async () => {
    for (const args of [['frobnicate'], ['help', 'frobnicate']]) {
      const run = await lampfield(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        'lampfield: unknown command "frobnicate"; one of run, sim, init, doctor, install-service, decode, module, update (lampfield help)\n',
      );
    }
  });
});

describe('a slip of the keyboard', () => {
  it('a command one or two edits off says which was meant', async () => {
    for (const [typed, meant] of [
      ['docter', 'doctor'],
      ['smi', 'sim'],
      ['decdoe', 'decode'],
      ['moduel', 'module'],
    ] as const) {
      const run = await lampfield([typed]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        new RegExp(`^lampfield: unknown command "${typed}" \\(did you mean "${meant}"\\?\\); one of `),
      );
    }
  });

  it('an option one or two edits off says which was meant, with the usage', async () => {
    const sim = await lampfield(['sim', '--prot', '8080']);
    expect(sim.stderr.split('\n')[0]).toBe('lampfield sim: unknown argument --prot (did you mean --port?)');
    const decode = await lampfield(['decode', '--dialekt=auto', 'x']);
    expect(decode.stderr.split('\n')[0]).toBe(
      'lampfield decode: unknown argument --dialekt=auto (did you mean --dialect?)',
    );
    const run = await lampfield(['run', '--servce']);
    expect(run.stderr.split('\n')[0]).toBe(
      'lampfield run: unknown argument --servce (did you mean --service?)',
    );
  });

  it('-v is the version, as --version and -V are', async () => {
    const run = await lampfield(['-v']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^lampfield \d+\.\d+\.\d+\n$/);
  });
});

describe('option errors name the option and what it accepts', () => {
  it('sim: each wrong option on its own line, then the usage; nothing started', async () => {
    const run = await lampfield(['sim', '--keys', '0', '--rate', '-1', '--port', '99999']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')).toEqual([
      'lampfield sim: --keys "0": a whole number 1..20 (module-20rgb)',
      'lampfield sim: --port "99999": a port 0..65535 (0: any free one)',
      'lampfield sim: --rate "-1": calls per minute, 0 or more',
      expect.stringMatching(/^usage: lampfield sim /),
      '',
    ]);
    expect(run.stdout).not.toContain('the panel is at');
  });

  it('sim: an unknown board or dialect names what there is', async () => {
    const board = await lampfield(['sim', '--board', 'exp50']);
    expect(board.code).toBe(2);
    expect(board.stderr).toMatch(
      /^lampfield sim: --board "exp50": not a module board; one of module-20rgb, module-40bicolor, module-160rgb$/m,
    );
    const dialect = await lampfield(['sim', '--dialect', 'nortel']);
    expect(dialect.code).toBe(2);
    expect(dialect.stderr).toMatch(
      /^lampfield sim: --dialect "nortel": one of generic, innovaphone, asterisk, freeswitch, kamailio$/m,
    );
  });

  it('run: an unknown option is named, with run’s usage (its --service included)', async () => {
    const run = await lampfield(['run', '--verbose']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'lampfield run: unknown argument --verbose\nusage: lampfield run [--config FILE] [--service] [--log-json]\n',
    );
  });
});
