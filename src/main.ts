/**
 * The command-line entry (BRIEF §8): argv to a command. It takes the real things every command runs on
 * from the composition root (src/real-platform.ts: the clock, SIP sockets, the board, DNS, certificate
 * files, the log, the terminal, the process's signals) and the process's own streams (`systemIo`), and
 * hands them down; nothing below picks one of its own.
 */
import type { CommandIo } from './cli/command-io.ts';
import { readFile } from 'node:fs/promises';
import type { Platform } from './app/platform.ts';
import { realPlatform } from './real-platform.ts';
import { UserError } from './util/user-error.ts';
import { PACKAGE_VERSION } from './util/package-files.ts';
import { commandHelp, isCommandName, overallHelp, unknownCommandLine } from './cli/command-help.ts';

/** The process's own output, files and standard input, as commands see them. */
const systemIo: CommandIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  readFile: (path) => readFile(path, 'utf8'),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin)
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString('utf8');
  },
};

export async function main(argv: readonly string[], io: CommandIo, platform: Platform): Promise<number> {
  const [command] = argv;
  try {
    return await dispatch(argv, io, platform);
  } catch (error) {
    // An error meant for a user (a broken boards.json, say) that a command did not catch: its one line,
    // never a stack trace.
    if (!(error instanceof UserError)) throw error;
    for (const line of error.message.split('\n'))
      io.stderr(`lampfield${command == null ? '' : ` ${command}`}: ${line}`);
    return 1;
  }
}

async function dispatch(argv: readonly string[], io: CommandIo, platform: Platform): Promise<number> {
  const [command, ...rest] = argv;
  if (command == null) {
    io.stderr(overallHelp());
    return 2;
  }
  if (command === '--version' || command === '-V' || command === '-v' || command === 'version') {
    io.stdout(`lampfield ${PACKAGE_VERSION}`);
    return 0;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    const [about] = rest;
    if (about == null) {
      io.stdout(overallHelp());
      return 0;
    }
    if (!isCommandName(about)) return unknownCommand(about, io);
    io.stdout(commandHelp(about));
    return 0;
  }
  if (!isCommandName(command)) return unknownCommand(command, io);
  // `--help` anywhere among a command's arguments: its help, and nothing else done.
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(commandHelp(command));
    return 0;
  }
  // Each command's code is loaded when it is asked for: `run` on a Pi starts without loading the
  // simulator, the module emulator or doctor's checks (issue 30, start-up).
  switch (command) {
    case 'decode':
      return (await import('./cli/decode.ts')).decodeCommand(rest, io);
    case 'run':
      return (await import('./cli/run.ts')).runCommand(rest, io, platform);
    case 'install-service':
      return (await import('./cli/install-service.ts')).installServiceCommand(rest, io);
    case 'doctor':
      return (await import('./cli/doctor.ts')).doctorCommand(rest, io, platform);
    case 'init':
      return (await import('./cli/init.ts')).initCommand(rest, io);
    case 'module':
      return (await import('./cli/module.ts')).moduleCommand(rest, io, platform);
    case 'sim':
      return (await import('./cli/sim.ts')).simCommand(rest, io, platform);
    case 'update':
      return (await import('./cli/update.ts')).updateCommand(rest, io, platform);
  }
}

function unknownCommand(name: string, io: CommandIo): number {
  io.stderr(unknownCommandLine(name));
  return 2;
}

process.exitCode = await main(process.argv.slice(2), systemIo, realPlatform());
// Timers of SIP transactions that were still running must not keep a finished command alive.
if (['run', 'module', 'sim', 'doctor'].includes(process.argv[2] ?? '')) process.exit();
