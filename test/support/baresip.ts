/**
 * baresip 1.0 (Debian `baresip`) as a real desk phone on 127.0.0.1 (shared/notes/real-phones.md):
 * registered on the test PBX (Kamailio, Asterisk) with it as its outbound proxy, answering every call by itself
 * (`answermode=auto`), following REFER, and dialling or hanging up when told through its UDP console
 * (`cons.so`).
 */
import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSWORDS } from './kamailio.ts';
import type { TestPbx } from './pbx.ts';
import { freePort, freePortPair } from './ports.ts';
import { startProcess, stopProcess, type Started } from './processes.ts';

export class Baresip {
  private constructor(
    private readonly process: Started,
    private readonly consolePort: number,
    readonly extension: string,
  ) {}

  /**
   * baresip as `extension`, registered on `pbx` (resolves once the PBX has answered 200). `answer`:
   * `auto` answers every call at once; `manual` rings until `answer()` (a person lifting the handset).
   */
  static async start(pbx: TestPbx, extension = '201', answer: 'auto' | 'manual' = 'auto'): Promise<Baresip> {
    const dir = mkdtempSync(join(tmpdir(), 'lampfield-baresip-'));
    // baresip listens for TLS on the port after its SIP port: both are reserved for it.
    const sipPort = await freePortPair();
    const consolePort = await freePort();
    writeFileSync(
      join(dir, 'config'),
      [
        `sip_listen 127.0.0.1:${sipPort}`,
        'audio_player aubridge,loop',
        'audio_source aubridge,loop',
        'audio_alert aubridge,loop',
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module aubridge.so',
        'module cons.so',
        `cons_listen 127.0.0.1:${consolePort}`,
        'module_tmp account.so',
        'module_app menu.so',
        '',
      ].join('\n'),
    );
    const pbxUri = `sip:127.0.0.1:${pbx.port}`;
    writeFileSync(
      join(dir, 'accounts'),
      `<sip:${extension}@127.0.0.1:${pbx.port};transport=udp>;auth_pass=${PASSWORDS[extension] ?? ''};outbound="${pbxUri}";answermode=${answer};regint=600\n`,
    );
    const process = startProcess('baresip', ['-f', dir, '-n', '127.0.0.1', '-s', '-v']);
    const phone = new Baresip(process, consolePort, extension);
    await phone.waitFor(/\{0\/UDP\/v4\} 200 OK .*\[1 binding\]/, 'its registration');
    // Printed before the registration; without it, commands would go nowhere (the port taken meanwhile).
    await phone.waitFor(
      new RegExp(`UI console listening on 127\\.0\\.0\\.1:${consolePort}\\b`),
      'its console',
    );
    return phone;
  }

  output(): string {
    return this.process.output();
  }

  /** Waits until baresip's output matches `pattern` (beyond `from` characters of it). */
  async waitFor(pattern: RegExp, what: string, from = 0, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pattern.test(this.output().slice(from))) {
      if (Date.now() > deadline)
        throw new Error(`baresip: ${what} did not come:\n${this.output().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The person lifts the handset of a ringing phone (baresip's `a` command). */
  answer(): Promise<void> {
    return this.command('a');
  }

  /** The person at the phone hangs up (baresip's `b` command). */
  hangUp(): Promise<void> {
    return this.command('b');
  }

  /** The person dials `uri` (baresip's `/dial` command); resolves once the phone has sent its INVITE. */
  async dial(uri: string): Promise<void> {
    const before = this.output().length;
    await this.command(`/dial ${uri}\n`);
    await this.waitFor(/^INVITE sip:/m, `its INVITE to ${uri}`, before);
  }

  /** The person puts the call on hold (baresip's `x`: a re-INVITE with `a=sendonly`). */
  hold(): Promise<void> {
    return this.command('x');
  }

  /** The person takes the call off hold (baresip's `X`: a re-INVITE with `a=sendrecv`). */
  resume(): Promise<void> {
    return this.command('X');
  }

  private async command(text: string): Promise<void> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.send(text, this.consolePort, '127.0.0.1', () => resolve()));
    socket.close();
  }

  stop(): Promise<number> {
    return stopProcess(this.process);
  }
}
