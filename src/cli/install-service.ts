/**
 * `lampfield install-service [--user NAME] [--root DIR]`: installs the systemd unit and udev rules
 * (src/app/service-files.ts), so that lampfield starts at boot and the panels open without root, and says
 * what to do next. With `--root` it only writes the files under DIR.
 */
import { installService, SERVICE_CONFIG } from '../app/service-files.ts';
import type { CommandIo } from './command-io.ts';
import { unknownArgumentLines, usageLine } from './command-help.ts';

const USAGE = usageLine('install-service');

export function installServiceCommand(args: readonly string[], io: CommandIo): number {
  let user = process.env['SUDO_USER'];
  let root = '/';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = args[i + 1];
    if ((arg === '--user' || arg === '--root') && value != null) {
      if (arg === '--user') user = value;
      else root = value;
      i++;
    } else {
      io.stderr(unknownArgumentLines('install-service', arg));
      return 2;
    }
  }
  if (user == null || !/^[a-z_][a-z0-9_-]*$/.test(user)) {
    io.stderr(`lampfield install-service: give the user lampfield runs as (--user pi)\n${USAGE}`);
    return 2;
  }
  let configPresent: boolean;
  try {
    configPresent = installService(user, root, (path) => io.stdout(`wrote ${path}`));
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    io.stderr(`lampfield install-service: ${reason} (run it with sudo)`);
    return 1;
  }
  if (!configPresent) io.stdout(`next: write your config to ${SERVICE_CONFIG} (README: "Watching the PBX")`);
  io.stdout(`next: sudo usermod -aG dialout,gpio,plugdev ${user}; sudo systemctl start lampfield`);
  io.stdout('logs: journalctl -u lampfield -f');
  return 0;
}
