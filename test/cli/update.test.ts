/**
 * `lampfield update` away from the card image (no RAUC system, or not root): one line that says why and
 * exit 1, nothing written; a wrong use says the usage. The install itself is tested on the image
 * (npm run image:test, updates).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));

function lampfield(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], (error, stdout, stderr) =>
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr }),
    );
  });
}

describe('lampfield update', () => {
  it('away from the card image says in one line why it does nothing', async () => {
    const run = await lampfield(['update', 'lampfield-9.9.9-arm64.raucb']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      process.getuid?.() === 0
        ? /^lampfield update: no \/etc\/rauc\/system\.conf here: updates are for lampfield's card image \(elsewhere: npm install\)\n$/
        : /^lampfield update: run it as root \(sudo lampfield update …\): RAUC writes the other root slot\n$/,
    );
    expect(run.stderr).toBe('');
  });

  it('takes one bundle: none, two or an option say the usage', async () => {
    for (const args of [['update'], ['update', 'a.raucb', 'b.raucb']]) {
      const run = await lampfield(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^lampfield update: one bundle, a file or an https:\/\/ URL\nusage: lampfield update FILE\|URL/,
      );
    }
    const option = await lampfield(['update', '--force', 'a.raucb']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/--force/);
  });
});
