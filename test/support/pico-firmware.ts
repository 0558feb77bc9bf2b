/**
 * The module's C firmware (firmware/), built for a test file into a folder of its own (test files run
 * side by side: one build never overwrites another's), with the build's own report (flash and RAM use).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

export const FIRMWARE_DIR = fileURLToPath(new URL('../../firmware/', import.meta.url));

export interface FirmwareBuild {
  /** What make printed; its last line says flash and RAM use. */
  output: string;
  /** The flash image from 0x10000000 (boot2 first). */
  image: string;
  /** The folder with the image, the ELF and the UF2. */
  dir: string;
}

export function buildFirmware(board: 'module-20rgb' | 'module-160rgb' = 'module-20rgb'): FirmwareBuild {
  const dir = mkdtempSync(join(tmpdir(), 'lampfield-firmware-'));
  const output = execFileSync(
    'make',
    ['-C', FIRMWARE_DIR, '--no-print-directory', `BUILD=${dir}`, `BOARD=${board}`],
    { encoding: 'utf8' },
  );
  return { output, image: join(dir, 'lampfield-module.bin'), dir };
}

/** The firmware built for `board` once for the test file that asks (before its tests), removed after them. */
export function firmwareForThisFile(
  board: 'module-20rgb' | 'module-160rgb' = 'module-20rgb',
): () => FirmwareBuild {
  let build: FirmwareBuild | null = null;
  beforeAll(() => {
    build = buildFirmware(board);
  }, 120_000);
  afterAll(() => {
    if (build != null) rmSync(build.dir, { recursive: true, force: true });
  });
  return () => {
    if (build == null) throw new Error('the firmware is built before the tests run');
    return build;
  };
}
