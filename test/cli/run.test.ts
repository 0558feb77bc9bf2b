/** `lampfield run` refusing to start: one clear line and an exit code, never a stack trace. */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));

function run(config: string | null): Promise<{ code: number; stderr: string }> {
  const args = [BIN, 'run'];
  if (config != null) {
    const file = join(mkdtempSync(join(tmpdir(), 'lampfield-run-')), 'lampfield.yaml');
    writeFileSync(file, config);
    args.push('--config', file);
  }
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: tmpdir() }, (error, _stdout, stderr) => {
      resolve({ code: error == null ? 0 : typeof error.code === 'number' ? error.code : 1, stderr });
    });
  });
}

describe('lampfield run refusing to start', () => {
  it('names the config path that is wrong, in one line, and exits 2', async () => {
    const result = await run(
      'pbx: { host: 127.0.0.1, transport: sctp }\naccount: { user: "900" }\nkeys: [{ key: 1, partner: "207" }]\n',
    );
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /lampfield\.yaml:\d+: \/pbx\/transport: must be one of "udp", "tcp", "tls"$/m,
    );
  });

  it('names every wrong path of the config, one line each, and exits 2', async () => {
    const result = await run(
      'pbx: { host: 127.0.0.1, transport: sctp, port: x }\naccount: { user: "900" }\nkeys: [{ key: 1, partner: "207" }]\n',
    );
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^lampfield run: \S*lampfield\.yaml:\d+: \/pbx\/port: must be integer$/);
    expect(lines[1]).toMatch(
      /^lampfield run: \S*lampfield\.yaml:\d+: \/pbx\/transport: must be one of "udp", "tcp", "tls"$/,
    );
  });

  it('says eight mistakes of five kinds in one run, each on its line, keys by their own numbers', async () => {
    const result = await run(
      [
        'pbx:', //                                    1
        '  host: 127.0.0.1', //                       2
        '  transport: sctp', //                       3 the schema: no such transport
        '  list: "two words"', //                     4 not an address
        'account: { user: "900" }', //                5
        'board: module-20rgb', //                     6 a module, and no panel port
        'phone: { uri: "x y" }', //                   7 not an address
        'keys:', //                                   8
        '  - { key: 3, partner: "207" }', //          9
        '  - { key: 0, partner: "208" }', //         10 keys count from 1
        '  - { key: 2000, partner: "209" }', //      11 the module has 20
        '  - { key: 3, partner: "210" }', //         12 given twice
        '  - { key: 5, partner: "a b@c" }', //       13 not an address
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(2);
    const lines = result.stderr
      .trim()
      .split('\n')
      .map((line) => line.replace(/^lampfield run: \S*lampfield\.yaml:/, 'lampfield.yaml:'));
    expect(lines).toEqual([
      'lampfield.yaml:3: /pbx/transport: must be one of "udp", "tcp", "tls"',
      'lampfield.yaml:4: /pbx/list: "two words" is not a name or SIP URI',
      'lampfield.yaml:6: /panel/port: board "module-20rgb" needs the module\'s port (/dev/ttyACM0 or tcp://host:port)',
      'lampfield.yaml:7: /phone/uri: "x y" is not a number or SIP URI',
      'lampfield.yaml:10: key 0: must be >= 1',
      'lampfield.yaml:11: key 2000: board module-20rgb has keys 1 to 20, not 2000',
      'lampfield.yaml:12: key 3: is given twice (each key once)',
      'lampfield.yaml:13: key 5 partner: "a b@c" is not a number or SIP URI',
    ]);
  });

  it('says which port is taken and exits 1', async () => {
    const busy = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => busy.bind(0, '127.0.0.1', resolve));
    const port = busy.address().port;
    const result = await run(
      `pbx: { host: 127.0.0.1 }\naccount: { user: "900" }\nlocal: { address: 127.0.0.1, port: ${port} }\nkeys: [{ key: 1, partner: "207" }]\n`,
    );
    busy.close();
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `lampfield run: UDP 127.0.0.1:${port} is already in use by another program (config local.address/local.port)`,
    );
  });

  it('says how to give a config when there is none', async () => {
    const result = await run(null);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no config file; give --config FILE/);
  });
});
