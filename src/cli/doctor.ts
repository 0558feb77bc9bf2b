/**
 * `lampfield doctor [--config FILE]`: checks what `lampfield run` needs, one line per check, and for each
 * failure the command or edit that fixes it. Exits 0 when all pass, 1 when any fails, 2 when the config
 * cannot be read (its error says where).
 */
import type { Config } from '../config/config.ts';
import { SipStack } from '../sip/stack.ts';
import { checkBoard, systemProbe, type BoardProbe, type Check } from './board-checks.ts';
import type { CommandIo } from './command-io.ts';
import { configFromArgs, pbxUserAgent, resolvePbxAddress } from './run.ts';

export async function doctorCommand(
  args: readonly string[],
  io: CommandIo,
  optionsTimeoutMs = 4000,
  probe: BoardProbe = systemProbe,
): Promise<number> {
  const config = configFromArgs('doctor', args, io);
  if (typeof config === 'number') {
    io.stderr(
      'fix: correct the config as the line above says (README: "Watching the PBX"), then run doctor again',
    );
    return config;
  }
  io.stdout('ok    config: valid');
  const checks = [...(await checkBoard(config, probe)), await checkPbx(config, optionsTimeoutMs)];
  for (const check of checks) {
    io.stdout(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.what}`);
    if (check.fix != null) io.stdout(`      fix: ${check.fix}`);
  }
  return checks.every((check) => check.ok) ? 0 : 1;
}

async function checkPbx(config: Config, timeoutMs: number): Promise<Check> {
  const { host, port, transport } = config.pbx;
  const where = `${host}:${port}/${transport}`;
  let address: string;
  try {
    address = await resolvePbxAddress(config);
  } catch {
    return {
      ok: false,
      what: `pbx ${where}: the name does not resolve`,
      fix: `check pbx.host; getent hosts ${host}`,
    };
  }
  // Port 0: doctor must work beside a running lampfield that holds local.port.
  const stack = await SipStack.open({ address: config.local.address, port: 0, transports: [transport] });
  try {
    const ua = pbxUserAgent(config, stack, address);
    // Any final response shows the PBX is there (RFC 3261 §11: OPTIONS asks for capabilities).
    const options = ua.outOfDialog('OPTIONS', `sip:${config.pbx.domain}`, ua.newCallId(), 'doctor', 1);
    const response = await ua.send(options, { timeoutMs });
    if (response.status === 408 || response.status === 503) {
      return {
        ok: false,
        what: `pbx ${where}: no answer to OPTIONS within ${timeoutMs / 1000} s`,
        fix: `check pbx.host and pbx.port, and that the PBX and any firewall let ${config.local.address} in`,
      };
    }
    return {
      ok: true,
      what: `pbx ${where}: answers OPTIONS (${response.status} ${response.reason ?? ''})`.trimEnd(),
    };
  } finally {
    await stack.close();
  }
}
