/** `lampfield install-service --root DIR`: the unit and udev rules a Pi gets, written under DIR. */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/config/boards.ts';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));

function install(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'install-service', ...args],
      { env: { PATH: process.env['PATH'] } },
      (error, stdout, stderr) =>
        resolve({
          code: error == null ? 0 : typeof error.code === 'number' ? error.code : 1,
          stdout,
          stderr,
        }),
    );
  });
}

describe('lampfield install-service', () => {
  it('writes a unit that runs this node and this lampfield as the user, with the config in /etc', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lampfield-root-'));
    const result = await install(['--user', 'pi', '--root', root]);
    expect(result.code).toBe(0);
    const unit = readFileSync(join(root, 'etc/systemd/system/lampfield.service'), 'utf8');
    expect(unit).toMatch(/^User=pi$/m);
    expect(unit).toContain(
      `ExecStart=${process.execPath} --max-semi-space-size=1 ${BIN} run --service --config /etc/lampfield/config.yaml\n`,
    );
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
    expect(unit).not.toMatch(/__[A-Z]+__/);
    const rules = readFileSync(join(root, 'etc/udev/rules.d/99-lampfield.rules'), 'utf8');
    // Every USB panel of boards.json may be opened by the plugdev group.
    for (const board of loadBoards().filter((entry) => entry.usb != null)) {
      const vendor = board.usb!.vendorId.toString(16).padStart(4, '0');
      expect(rules, board.id).toMatch(
        new RegExp(`KERNEL=="hidraw\\*", ATTRS\\{idVendor\\}=="${vendor}".*GROUP="plugdev"`),
      );
    }
    expect(result.stdout).toMatch(/next: write your config to \/etc\/lampfield\/config\.yaml/);
    expect(result.stdout).toMatch(/journalctl -u lampfield/);
  });

  // systemd's own checker, where systemd is installed (a Pi always has it; a CI container may not).
  it.skipIf(!existsSync('/usr/bin/systemd-analyze'))('the unit passes systemd-analyze verify', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lampfield-root-'));
    expect((await install(['--user', 'root', '--root', root])).code).toBe(0);
    const unit = join(root, 'etc/systemd/system/lampfield.service');
    expect(execFileSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', stdio: 'pipe' })).toBe('');
  });

  it('refuses without a user to run as, changing nothing, and exits 2', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lampfield-root-'));
    const result = await install(['--root', root]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/give the user lampfield runs as \(--user pi\)/);
    expect(() => readFileSync(join(root, 'etc/systemd/system/lampfield.service'))).toThrow();
  });
});
