/**
 * `lampfield init [--config FILE]`: writes the commented example config (lampfield.example.yaml) where
 * `run` and `doctor` look for it, asking nothing: /etc/lampfield/config.yaml as root (the service reads
 * it), else lampfield.yaml in the current folder. Never overwrites a config.
 */
import { writeExampleConfig } from '../app/config-file.ts';
import type { CommandIo } from './command-io.ts';
import { unknownArgumentLines } from './command-help.ts';
import { DEFAULT_CONFIGS } from './config-args.ts';

export function initCommand(
  args: readonly string[],
  io: CommandIo,
  asRoot = process.getuid?.() === 0,
): number {
  let path: string = asRoot ? DEFAULT_CONFIGS[0] : DEFAULT_CONFIGS[1];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--config' && args[i + 1] != null) path = args[++i]!;
    else if (arg.startsWith('--config=')) path = arg.slice('--config='.length);
    else {
      io.stderr(unknownArgumentLines('init', arg));
      return 2;
    }
  }
  try {
    writeExampleConfig(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    io.stderr(
      code === 'EEXIST'
        ? `lampfield init: ${path} exists; left as it is (edit it, or give --config OTHER_FILE)`
        : `lampfield init: cannot write ${path}: ${(error as Error).message}`,
    );
    return 1;
  }
  io.stdout(`lampfield init: wrote ${path}, a commented example`);
  io.stdout('next: fill in pbx, account, board and keys there, then: lampfield doctor');
  return 0;
}
