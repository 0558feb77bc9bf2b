/**
 * `lampfield doctor [--config FILE]`: checks what `lampfield run` needs (src/app/doctor-checks.ts), one
 * line per check, and for each failure the command or edit that fixes it. Exits 0 when all pass, 1 when
 * any fails, 2 when the config cannot be read (its error says where).
 */
import { systemProbe, type BoardProbe } from '../app/board-checks.ts';
import { doctorChecks } from '../app/doctor-checks.ts';
import type { CommandIo } from './command-io.ts';
import { configFromArgs } from './config-args.ts';

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
  const checks = await doctorChecks(config, probe, optionsTimeoutMs);
  for (const check of checks) {
    io.stdout(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.what}`);
    if (check.fix != null) io.stdout(`      fix: ${check.fix}`);
  }
  return checks.every((check) => check.ok) ? 0 : 1;
}
