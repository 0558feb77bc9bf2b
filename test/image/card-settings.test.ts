/**
 * The SD card's Wi-Fi and SSH settings (image/rootfs/usr/local/sbin/lampfield-card): the script the image
 * runs at every boot, run here on a folder standing in for the boot partition, files written as a
 * Windows or macOS editor writes them. What it starts is printed instead of started.
 */
import { spawnSync } from 'node:child_process';
import { pbkdf2Sync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../image/rootfs/usr/local/sbin/lampfield-card', import.meta.url));

function boot(files: Record<string, string | Buffer>): { out: string; run: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lampfield-card-'));
  const card = join(dir, 'card');
  const run = join(dir, 'run');
  mkdirSync(card);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(card, name), text);
  const result = spawnSync('sh', [SCRIPT], {
    encoding: 'utf8',
    env: { ...process.env, LAMPFIELD_CARD: card, LAMPFIELD_RUN: run, LAMPFIELD_SYSTEMCTL: 'echo systemctl' },
  });
  expect(result.status, result.stderr).toBe(0);
  return { out: result.stdout + result.stderr, run };
}

const windows = (lines: string[]) =>
  Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\r\n'))]);

describe('the card settings at boot', () => {
  it('joins the Wi-Fi of wifi.txt, written by Notepad, whatever its SSID holds', () => {
    const ssid = 'Büro "Nord" \\ 2';
    const passphrase = 'pa$$ word #12';
    const { out, run } = boot({
      'wifi.txt': windows(['# our office', ` SSID = ${ssid}`, `Passphrase=${passphrase}`, 'country=de', '']),
    });
    const conf = readFileSync(join(run, 'wpa_supplicant-wlan0.conf'), 'utf8');
    expect(conf).toContain('country=DE\n');
    expect(conf).toContain(`ssid=${Buffer.from(ssid).toString('hex')}\n`);
    // The WPA2 pre-shared key is PBKDF2-HMAC-SHA1(passphrase, SSID, 4096 rounds, 32 bytes) (IEEE 802.11i).
    expect(conf).toContain(`psk=${pbkdf2Sync(passphrase, ssid, 4096, 32, 'sha1').toString('hex')}\n`);
    expect(conf).not.toContain(passphrase);
    expect(out).toContain(`lampfield-card: Wi-Fi: joining "${ssid}" (country DE)`);
    expect(out).toContain('systemctl start --no-block wpa_supplicant@wlan0.service');
    expect(out).not.toContain(passphrase);
  });

  it('joins an open network when wifi.txt has no passphrase, and says a country is missing', () => {
    const { out, run } = boot({ 'wifi.txt': 'ssid=Guest\n' });
    expect(readFileSync(join(run, 'wpa_supplicant-wlan0.conf'), 'utf8')).toContain('key_mgmt=NONE');
    expect(out).toContain('wifi.txt has no country= line');
  });

  it('keeps Wi-Fi off, saying why, for a passphrase too short or no ssid', () => {
    const short = boot({ 'wifi.txt': 'ssid=Office\npassphrase=1234567\ncountry=GB\n' });
    expect(short.out).toContain('the passphrase in wifi.txt must be 8 to 63 characters; Wi-Fi stays off');
    expect(short.out).not.toContain('systemctl start');
    expect(existsSync(join(short.run, 'wpa_supplicant-wlan0.conf'))).toBe(false);
    const nameless = boot({ 'wifi.txt': 'passphrase=long enough\n' });
    expect(nameless.out).toContain('wifi.txt has no ssid= line; Wi-Fi stays off');
  });

  it('turns SSH on for the public keys of the file ssh, and only for those', () => {
    const keys = [
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOn7 admin@desk',
      'ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB it@laptop',
    ];
    const { out, run } = boot({ ssh: windows(['# the admins', ...keys, 'not a key', '']) });
    expect(readFileSync(join(run, 'authorized_keys'), 'utf8')).toBe(`${keys.join('\n')}\n`);
    expect(out).toContain('SSH: on, for 2 key(s) from the file ssh');
    expect(out).toContain('systemctl start --no-block ssh.service');
  });

  it('keeps SSH off when the file ssh holds no key, and does nothing without the files', () => {
    const empty = boot({ ssh: '' });
    expect(empty.out).toContain('the file ssh holds no public key');
    expect(empty.out).not.toContain('systemctl start');
    expect(boot({}).out).toBe('');
  });
});
