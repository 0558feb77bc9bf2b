/**
 * The config a command reads (`run`, `doctor`): `--config FILE`, else the first of DEFAULT_CONFIGS that
 * exists. A config (or boards.json) that cannot be read is said on one line, with the file and the place
 * in it.
 */
import { existsSync } from 'node:fs';
import { configFailure, readConfigFile, type ConfigFailure } from '../app/config-file.ts';
import { BoardsError } from '../config/boards.ts';
import { ConfigError, type Config } from '../config/config.ts';
import type { CommandIo } from './command-io.ts';
import { unknownArgumentLines } from './command-help.ts';

export const DEFAULT_CONFIGS = ['/etc/lampfield/config.yaml', 'lampfield.yaml'] as const;

/**
 * Returns the loaded config and its file, or the exit code after saying on stderr what was wrong (and telling
 * `failed`, when given, what the failure was).
 */
export function configFromArgs(
  command: 'run' | 'doctor',
  args: readonly string[],
  io: CommandIo,
  failed?: (failure: ConfigFailure) => void,
): { config: Config; path: string } | number {
  let path: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--config') path = args[++i];
    else if (arg.startsWith('--config=')) path = arg.slice('--config='.length);
    else {
      io.stderr(unknownArgumentLines(command, arg));
      return 2;
    }
  }
  path ??= DEFAULT_CONFIGS.find((candidate) => existsSync(candidate));
  if (path == null) {
    const what = `no config file; give --config FILE or create ${DEFAULT_CONFIGS.join(' or ')}`;
    io.stderr(`lampfield ${command}: ${what}`);
    failed?.(configFailure(null, what));
    return 2;
  }
  try {
    return { config: readConfigFile(path), path };
  } catch (error) {
    if (error instanceof ConfigError || error instanceof BoardsError) {
      // One line per problem, each saying the file and the place.
      for (const line of error.message.split('\n')) io.stderr(`lampfield ${command}: ${line}`);
      failed?.(configFailure(path, error));
      return 2;
    }
    throw error;
  }
}
