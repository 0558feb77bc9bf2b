/** `lampfield doctor`: what a user runs on the Pi before `lampfield run`; Kamailio is the PBX it asks. */
import { testPlatform } from '../support/platform.ts';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIo } from '../../src/cli/command-io.ts';
import { doctorCommand } from '../../src/cli/doctor.ts';
import { Kamailio } from '../support/kamailio.ts';

/** Collects what a command writes; it reads nothing. */
function capture(lines: string[]): CommandIo {
  return {
    stdout: (line) => lines.push(line),
    stderr: (line) => lines.push(line),
    readFile: () => Promise.reject(new Error('doctor reads no file through io')),
    readStdin: () => Promise.resolve(''),
  };
}

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'lampfield-doctor-')), 'lampfield.yaml');
  writeFileSync(file, text);
  return file;
}

describe('lampfield doctor', { timeout: 30_000 }, () => {
  let kamailio: Kamailio;
  beforeAll(async () => {
    kamailio = await Kamailio.start();
  });
  afterAll(async () => {
    await kamailio?.stop();
  });

  it('passes with a console board and a PBX that answers OPTIONS, and exits 0', async () => {
    const file = configFile(
      `pbx: { host: 127.0.0.1, port: ${kamailio.port} }\naccount: { user: "900" }\nlocal: { address: 127.0.0.1 }\nkeys: [{ key: 1, partner: "207" }]\n`,
    );
    const result = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [BIN, 'doctor', '--config', file], (error, stdout) => {
        resolve({ code: error == null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout });
      });
    });
    expect(result.stdout).toMatch(/^ok {4}config: valid$/m);
    expect(result.stdout).toMatch(/^ok {4}board console: the terminal$/m);
    expect(result.stdout).toMatch(
      new RegExp(`^ok {4}pbx 127\\.0\\.0\\.1:${kamailio.port}/udp: answers OPTIONS \\(\\d{3}`, 'm'),
    );
    // pbx.dialect is auto by default: the PBX's Server header names it.
    expect(result.stdout).toMatch(
      /^ok {4}dialect: auto chooses kamailio \(the PBX's Server is "kamailio \(5\.6\.\d+ \(x86_64\/linux\)\)"\)$/m,
    );
    expect(result.code).toBe(0);
  });

  it('on a machine without the module and with a silent PBX: names both, with their fixes, and exits 1', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const port = silent.address().port;
    const file = configFile(
      `pbx: { host: 127.0.0.1, port: ${port} }\naccount: { user: "900" }\nlocal: { address: 127.0.0.1 }\nboard: module-20rgb\npanel: { port: /dev/ttyLAMPFIELD-absent }\nkeys: [{ key: 1, partner: "207" }]\n`,
    );
    const out: string[] = [];
    const code = await doctorCommand(['--config', file], capture(out), testPlatform(), 300);
    silent.close();
    expect(out).toContain('FAIL  board module-20rgb: /dev/ttyLAMPFIELD-absent does not exist');
    expect(out).toContain(`FAIL  pbx 127.0.0.1:${port}/udp: no answer to OPTIONS within 0.3 s`);
    expect(out.filter((line) => line.startsWith('      fix: '))).toHaveLength(2);
    expect(code).toBe(1);
  });

  it("flags the example's placeholder web.token, and says which machine a silent PBX must let in", async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const port = silent.address().port;
    const file = configFile(
      `pbx: { host: 127.0.0.1, port: ${port} }\naccount: { user: "900" }\nlocal: { address: 0.0.0.0, port: 0 }\n` +
        `keys: [{ key: 1, partner: "207" }]\nweb: { address: 0.0.0.0, port: 0, token: change-me-to-a-long-secret }\n`,
    );
    const out: string[] = [];
    const code = await doctorCommand(['--config', file], capture(out), testPlatform(), 300);
    silent.close();
    expect(out).toContain(
      "FAIL  page 0.0.0.0:0: web.token is the example's placeholder, which anyone who read the example knows",
    );
    expect(out).toContain(
      '      fix: set web.token to a secret of your own, 16 characters or more (openssl rand -hex 16)',
    );
    expect(out).toContain(
      '      fix: check pbx.host and pbx.port, and that the PBX and any firewall let this machine in',
    );
    expect(code).toBe(1);
  });

  it('a module behind tcp:// (ser2net, the simulator): ok while something listens, else the reason and the fix', async () => {
    const listener = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as net.AddressInfo).port;
    const config = (panel: number) =>
      configFile(
        `pbx: { host: 127.0.0.1, port: ${kamailio.port} }\naccount: { user: "900" }\nlocal: { address: 127.0.0.1 }\nboard: module-20rgb\npanel: { port: "tcp://127.0.0.1:${panel}" }\nkeys: [{ key: 1, partner: "207" }]\n`,
      );
    const listening: string[] = [];
    expect(await doctorCommand(['--config', config(port)], capture(listening), testPlatform())).toBe(0);
    expect(listening).toContain(`ok    board module-20rgb: tcp://127.0.0.1:${port} accepts connections`);
    await new Promise((resolve) => listener.close(resolve));
    const closed: string[] = [];
    expect(await doctorCommand(['--config', config(port)], capture(closed), testPlatform())).toBe(1);
    expect(closed).toContain(
      `FAIL  board module-20rgb: cannot connect to tcp://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(closed).toContain(
      `      fix: start the module simulator (lampfield module --tcp ${port}) or ser2net on 127.0.0.1`,
    );
  });

  it('a GPIO board on this machine (no Pi): says what is missing, with the fix, and exits 1', async () => {
    const file = configFile(
      `pbx: { host: 127.0.0.1, port: ${kamailio.port} }\naccount: { user: "900" }\nlocal: { address: 127.0.0.1 }\nboard: gpio-8-bicolor\nkeys: [{ key: 1, partner: "207" }]\n`,
    );
    const out: string[] = [];
    expect(await doctorCommand(['--config', file], capture(out), testPlatform())).toBe(1);
    expect(out).toContain(
      `FAIL  board gpio-8-bicolor: no GPIO driver: @iiot2k/gpiox is not installed: npm installs it only on Linux on arm or arm64 (a Raspberry Pi), and this is ${process.platform} ${process.arch}`,
    );
    expect(out).toContain('      fix: run lampfield on the Pi itself, after `npm ci` there');
    expect(out.filter((line) => line.startsWith('ok    pbx '))).toHaveLength(1);
  });

  it('a config with a wrong field: the error with its path, how to fix it, and exit 2', async () => {
    const file = configFile('pbx: { host: 127.0.0.1, port: 70000 }\naccount: { user: "900" }\nkeys: []\n');
    const err: string[] = [];
    const code = await doctorCommand(['--config', file], capture(err), testPlatform());
    // Every mistake, one line each, then the fix.
    expect(err[0]).toMatch(/lampfield\.yaml:1: \/pbx\/port: /);
    expect(err[1]).toMatch(/lampfield\.yaml:3: \/keys: must NOT have fewer than 1 items$/);
    expect(err[2]).toMatch(/^fix: /);
    expect(err).toHaveLength(3);
    expect(code).toBe(2);
  });
});
