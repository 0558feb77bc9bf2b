/**
 * `lampfield init` and `doctor` without a config, as a newcomer meets them: the real command in a child
 * process, in a folder of the test's own.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));
const EXAMPLE = readFileSync(new URL('../../lampfield.example.yaml', import.meta.url), 'utf8');

function lampfield(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error == null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

describe('lampfield init', () => {
  it('writes the commented example config, which doctor then reads as valid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lampfield-init-'));
    const path = join(dir, 'conf', 'lampfield.yaml');
    const init = await lampfield(['init', '--config', path], dir);
    expect(init).toMatchObject({ code: 0, stderr: '' });
    expect(init.stdout).toBe(
      `lampfield init: wrote ${path}, a commented example\nnext: fill in pbx, account, board and keys there, then: lampfield doctor\n`,
    );
    expect(readFileSync(path, 'utf8')).toBe(EXAMPLE);
    const doctor = await lampfield(['doctor', '--config', path], dir);
    expect(doctor.stdout.split('\n')[0]).toBe('ok    config: valid');
  });

  it('never writes over a config that is there: one line, exit 1, the file unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lampfield-init-'));
    const path = join(dir, 'lampfield.yaml');
    writeFileSync(path, 'pbx: { host: pbx.example }\n');
    const init = await lampfield(['init', '--config', path], dir);
    expect(init.code).toBe(1);
    expect(init.stderr).toBe(
      `lampfield init: ${path} exists; left as it is (edit it, or give --config OTHER_FILE)\n`,
    );
    expect(readFileSync(path, 'utf8')).toBe('pbx: { host: pbx.example }\n');
  });
});

describe('lampfield doctor without a config', () => {
  it('says the file is not there and offers lampfield init for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lampfield-init-'));
    const doctor = await lampfield(['doctor', '--config', join(dir, 'none.yaml')], dir);
    expect(doctor.code).toBe(2);
    expect(doctor.stderr).toMatch(/^lampfield doctor: .*none\.yaml/m);
    expect(doctor.stderr).not.toMatch(/\n\s+at /);
    expect(doctor.stderr).toContain(
      `fix: lampfield init --config ${join(dir, 'none.yaml')} writes a commented example config; fill in your PBX and keys, then run doctor again\n`,
    );
  });
});
