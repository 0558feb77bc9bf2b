/**
 * `lampfield decode [--dialect D|auto] FILE...` (BRIEF §8): NOTIFY messages (whole SIP text, as copied from a
 * trace, one or many per file) or bare dialog-info bodies, applied in order to one intake
 * (src/app/decode-text.ts), one JSON line per NOTIFY (per file for a bare body).
 */
import { chooseDialect, decodeText } from '../app/decode-text.ts';
import { DIALECTS, DIALECT_NAMES, isDialectName, type DialectName } from '../blf/dialects.ts';
import { DialogIntake } from '../blf/dialog-intake.ts';
import type { CommandIo } from './command-io.ts';
import { unknownArgumentLines, usageLine } from './command-help.ts';

const USAGE = usageLine('decode');

export async function decodeCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let dialect: DialectName | 'auto' = 'generic';
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--dialect' || arg.startsWith('--dialect=')) {
      const value = arg === '--dialect' ? args[++i] : arg.slice('--dialect='.length);
      if (value == null || (value !== 'auto' && !isDialectName(value))) {
        io.stderr(
          `lampfield decode: unknown dialect "${value ?? ''}"; one of auto, ${DIALECT_NAMES.join(', ')}`,
        );
        return 2;
      }
      dialect = value;
    } else if (arg.startsWith('-') && arg !== '-') {
      io.stderr(unknownArgumentLines('decode', arg));
      return 2;
    } else {
      files.push(arg);
    }
  }
  if (files.length === 0) {
    io.stderr(`lampfield decode: no FILE given\n${USAGE}`);
    return 2;
  }
  let status = 0;
  const texts: [string, string][] = [];
  for (const file of files) {
    try {
      texts.push([file, file === '-' ? await io.readStdin() : await io.readFile(file)]);
    } catch (error) {
      io.stderr(
        `lampfield decode: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
      );
      status = 2;
    }
  }
  if (dialect === 'auto') {
    // As `pbx.dialect: auto` chooses in run: what the texts name, said on standard error.
    const choice = chooseDialect(texts.map(([, text]) => text));
    dialect = choice?.dialect ?? 'generic';
    io.stderr(
      choice == null
        ? 'lampfield decode: dialect auto: nothing in the files names a PBX family; read the generic way'
        : `lampfield decode: dialect auto chooses ${choice.dialect} (${choice.evidence})`,
    );
  }
  const intake = new DialogIntake(DIALECTS[dialect]);
  for (const [file, text] of texts)
    for (const line of decodeText(intake, file, text)) io.stdout(JSON.stringify(line));
  return status;
}
