/**
 * `lampfield install-service [--user NAME] [--root DIR]`: installs the systemd unit and udev rules that
 * ship in deploy/, so that lampfield starts at boot and the panels open without root. With `--root` it
 * only writes the files under DIR (for packaging, and for tests); on `/` it also reloads systemd and
 * udev and enables the unit.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandIo } from './command-io.ts';

const USAGE = 'usage: lampfield install-service [--user NAME] [--root DIR]';
const CONFIG = '/etc/lampfield/config.yaml';
const deployFile = (name: string) => fileURLToPath(new URL(`../../deploy/${name}`, import.meta.url));

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
      io.stderr(`lampfield install-service: unknown argument ${arg}\n${USAGE}`);
      return 2;
    }
  }
  if (user == null || !/^[a-z_][a-z0-9_-]*$/.test(user)) {
    io.stderr(`lampfield install-service: give the user lampfield runs as (--user pi)\n${USAGE}`);
    return 2;
  }
  const unit = readFileSync(deployFile('lampfield.service'), 'utf8')
    .replaceAll('__NODE__', process.execPath)
    .replaceAll('__BIN__', fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url)))
    .replaceAll('__USER__', user)
    .replaceAll('__CONFIG__', CONFIG)
    .replaceAll('__DOCS__', fileURLToPath(new URL('../../README.md', import.meta.url)));
  const written = [
    ['etc/systemd/system/lampfield.service', unit],
    ['etc/udev/rules.d/99-lampfield.rules', readFileSync(deployFile('99-lampfield.rules'), 'utf8')],
  ] as const;
  try {
    for (const [path, text] of written) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
      io.stdout(`wrote ${join(root, path)}`);
    }
    mkdirSync(join(root, 'etc/lampfield'), { recursive: true });
    if (root === '/') {
      for (const command of [
        ['systemctl', 'daemon-reload'],
        ['systemctl', 'enable', 'lampfield'],
        ['udevadm', 'control', '--reload-rules'],
        ['udevadm', 'trigger'],
      ]) {
        execFileSync(command[0]!, command.slice(1), { stdio: 'inherit' });
      }
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    io.stderr(`lampfield install-service: ${reason} (run it with sudo)`);
    return 1;
  }
  if (!existsSync(join(root, CONFIG)))
    io.stdout(`next: write your config to ${CONFIG} (README: "Watching the PBX")`);
  io.stdout(`next: sudo usermod -aG dialout,gpio,plugdev ${user}; sudo systemctl start lampfield`);
  io.stdout('logs: journalctl -u lampfield -f');
  return 0;
}
