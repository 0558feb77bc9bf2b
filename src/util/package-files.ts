/**
 * Files that ship with lampfield beside its code (boards.json, deploy/, the page, the config schema),
 * found from the package's root: the same code runs from src/ through tsx in a checkout and from dist/bundle/
 * once built (`npm run build`, the SD-card image), and a path relative to the module would differ
 * between the two.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readManifestName(manifest) === 'lampfield') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json of lampfield above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

function readManifestName(manifest: string): unknown {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}

/** The folder holding lampfield's package.json. */
export const PACKAGE_ROOT = packageRoot();

/** The absolute path of a file shipped with lampfield, given relative to the package's root. */
export const packageFile = (path: string): string => join(PACKAGE_ROOT, path);

/** lampfield's version, from its package.json. */
export const PACKAGE_VERSION = (
  JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }
).version;
