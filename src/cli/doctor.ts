/**
 * `lampfield doctor [--config FILE]`: checks what `lampfield run` needs (src/app/doctor-checks.ts), one
 * line per check, and for each failure the command or edit that fixes it. Exits 0 when all pass, 1 when
 * any fails, 2 when the config cannot be read (its error says where).
 */
import { existsSync } from 'node:fs';
import { doctorChecks } from '../app/doctor-checks.ts';
import type { Platform } from '../app/platform.ts';
import type { CommandIo } from './command-io.ts';
import { configInUse } from '../app/provisioning.ts';
import { configFromArgs } from './config-args.ts';

export async function doctorCommand(
  args: readonly string[],
  io: CommandIo,
  platform: Platform,
  optionsTimeoutMs = 4000,
): Promise<number> {
  // The config file that is not there (null: none named, none in the default places), if that was it.
  const absent: { path?: string | null } = {};
  const loaded = configFromArgs('doctor', args, io, (failure) => {
    if (failure.path == null || !existsSync(failure.path)) absent.path = failure.path;
  });
  if (typeof loaded === 'number') {
    const init = absent.path == null ? 'lampfield init' : `lampfield init --config ${absent.path}`;
    io.stderr(
      absent.path === undefined
        ? 'fix: correct the config as the lines above say (README: "Watching the PBX"), then run doctor again'
        : `fix: ${init} writes a commented example config; fill in your PBX and keys, then run doctor again`,
    );
    return loaded;
  }
  io.stdout('ok    config: valid');
  // Where the config comes from, where the card says provision: (what run would use, fetched now).
  const { config, said } = await configInUse(loaded.path, loaded.config, platform);
  for (const line of said) io.stdout(line);
  const checks = await doctorChecks(config, platform, optionsTimeoutMs);
  for (const check of checks) {
    io.stdout(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.what}`);
    if (check.fix != null) io.stdout(`      fix: ${check.fix}`);
  }
  return checks.every((check) => check.ok) ? 0 : 1;
}
