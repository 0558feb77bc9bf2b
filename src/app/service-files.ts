/**
 * The systemd unit and udev rules that ship in deploy/, installed so that lampfield starts at boot and
 * the panels open without root: the unit runs this Node and this lampfield as `user`, with the config in
 * /etc/lampfield. Under a `root` other than `/` only the files are written (for packaging, and tests);
 * on `/` systemd and udev are reloaded and the unit enabled.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageFile } from '../util/package-files.ts';

export const SERVICE_CONFIG = '/etc/lampfield/config.yaml';
/** The service's own folder (config.schema.json's provision.keep default is in it). */
const STATE_DIR = '/var/lib/lampfield';
const deployFile = (name: string) => packageFile(`deploy/${name}`);

/**
 * The options the service gives Node (the unit's ExecStart between Node and lampfield), so that a test
 * or a bench runs lampfield as the service does.
 */
export function serviceNodeFlags(): string[] {
  const unit = readFileSync(deployFile('lampfield.service'), 'utf8');
  const flags = /^ExecStart=__NODE__ (.*?)\s*__BIN__ /m.exec(unit)?.[1] ?? '';
  return flags.split(/\s+/).filter((flag) => flag !== '');
}

/**
 * Writes the unit and the rules under `root` (and on `/` enables them), telling each file written as it
 * is; throws the first failure. Returns whether the config file the unit reads is there already.
 */
export function installService(user: string, root: string, wrote: (path: string) => void): boolean {
  const unit = readFileSync(deployFile('lampfield.service'), 'utf8')
    .replaceAll('__NODE__', process.execPath)
    .replaceAll('__BIN__', packageFile('bin/lampfield.js'))
    .replaceAll('__USER__', user)
    .replaceAll('__CONFIG__', SERVICE_CONFIG)
    .replaceAll('__DOCS__', packageFile('README.md'));
  const files = [
    ['etc/systemd/system/lampfield.service', unit],
    ['etc/udev/rules.d/99-lampfield.rules', readFileSync(deployFile('99-lampfield.rules'), 'utf8')],
  ] as const;
  for (const [path, text] of files) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
    wrote(join(root, path));
  }
  mkdirSync(join(root, 'etc/lampfield'), { recursive: true });
  if (root === '/') {
    // Where the service keeps the last good copy of a provisioned config (provision.keep), its own.
    mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
    execFileSync('chown', [`${user}:`, STATE_DIR], { stdio: 'inherit' });
    for (const command of [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', 'lampfield'],
      ['udevadm', 'control', '--reload-rules'],
      ['udevadm', 'trigger'],
    ]) {
      execFileSync(command[0]!, command.slice(1), { stdio: 'inherit' });
    }
  }
  return existsSync(join(root, SERVICE_CONFIG));
}
