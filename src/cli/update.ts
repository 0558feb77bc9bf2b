/**
 * `lampfield update FILE|URL` (as root, on lampfield's card): installs a signed update bundle into the
 * root slot not running (src/app/update.ts); the next boot starts it.
 */
import type { Platform } from '../app/platform.ts';
import { installUpdate } from '../app/update.ts';
import type { CommandIo } from './command-io.ts';
import { unknownArgumentLines, usageLine } from './command-help.ts';

export async function updateCommand(
  args: readonly string[],
  io: CommandIo,
  platform: Platform,
): Promise<number> {
  const sources = args.filter((arg) => !arg.startsWith('-'));
  const unknown = args.find((arg) => arg.startsWith('-'));
  if (unknown != null) {
    io.stderr(unknownArgumentLines('update', unknown));
    return 2;
  }
  if (sources.length !== 1) {
    io.stderr(`lampfield update: one bundle, a file or an https:// URL\n${usageLine('update')}`);
    return 2;
  }
  return installUpdate(sources[0]!, {
    say: (line) => io.stdout(line),
    progress: 'inherit',
    ca: platform.trustedCertificates(),
  });
}
