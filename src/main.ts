/**
 * The composition root and command-line entry (BRIEF §8): the only file that picks real I/O.
 */
import { decodeCommand } from './cli/decode.ts';
import { doctorCommand } from './cli/doctor.ts';
import { installServiceCommand } from './cli/install-service.ts';
import { moduleCommand } from './cli/module.ts';
import { runCommand } from './cli/run.ts';
import { simCommand } from './cli/sim.ts';
import { systemIo, type CommandIo } from './cli/command-io.ts';
import { UserError } from './util/user-error.ts';

const USAGE = `usage: lampfield <command> [options]

commands:
  run [--config FILE]            watch the PBX and drive the configured board
  sim [--dialect D] [--keys N] [--seed S] [--rate R]
                                 everything simulated: PBX, calls, module; the panel in the terminal
  doctor [--config FILE]         check the config, the board and the PBX; say how to fix what fails
  install-service [--user NAME] [--root DIR]
                                 install the systemd unit and udev rules (as root), start at boot
  decode [--dialect D] FILE...   read NOTIFY messages or dialog-info bodies, print one JSON line each
  module [--tcp PORT | --serial PATH] [--board ID] [--json]
                                 the expansion module's firmware simulator, for a host to drive

See README.md for what each field means and which dialect to choose.`;

export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [command] = argv;
  try {
    return await dispatch(argv, io);
  } catch (error) {
    // An error meant for a user (a broken boards.json, say) that a command did not catch: its one line,
    // never a stack trace.
    if (!(error instanceof UserError)) throw error;
    for (const line of error.message.split('\n'))
      io.stderr(`lampfield${command == null ? '' : ` ${command}`}: ${line}`);
    return 1;
  }
}

async function dispatch(argv: readonly string[], io: CommandIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'decode':
      return decodeCommand(rest, io);
    case 'run':
      return runCommand(rest, io);
    case 'install-service':
      return installServiceCommand(rest, io);
    case 'doctor':
      return doctorCommand(rest, io);
    case 'module':
      return moduleCommand(rest, io);
    case 'sim':
      return simCommand(rest, io);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.stderr(`lampfield: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2), systemIo);
// Timers of SIP transactions that were still running must not keep a finished command alive.
if (['run', 'module', 'sim', 'doctor'].includes(process.argv[2] ?? '')) process.exit();
