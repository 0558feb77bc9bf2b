/**
 * A PBX build the tests run (Asterisk, FreeSWITCH: Debian has neither): found at an environment
 * variable's folder or tarball, else in ../shared/tools/<name>/ beside the repository, and a tarball
 * unpacked once per machine. Null when there is none: the tests that need it are skipped, saying how to
 * run them in one line.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

export interface PbxBuildPlace {
  /** The build's name: its folder in shared/tools and the start of its tarball's name. */
  name: string;
  /** The environment variable that names another folder or tarball. */
  variable: string;
  /** The program inside a build folder, e.g. sbin/asterisk. */
  program: string;
}

const found = new Map<string, string | null>();

/** The folder of the build (holding `program`), or null when there is none. */
export function pbxBuild({ name, variable, program }: PbxBuildPlace): string | null {
  if (found.has(name)) return found.get(name)!;
  const shared = fileURLToPath(new URL(`../../../shared/tools/${name}/`, import.meta.url));
  const named = process.env[variable];
  const candidate = named != null && named !== '' ? resolve(named) : shared;
  let build: string | null = null;
  if (existsSync(candidate)) {
    const tarballName = new RegExp(`^${name}-.*\\.tar\\.(xz|gz)$`);
    if (statSync(candidate).isDirectory()) {
      const tarball = readdirSync(candidate).find((file) => tarballName.test(file));
      if (existsSync(join(candidate, program))) build = candidate;
      else if (tarball != null) build = unpacked(name, join(candidate, tarball));
    } else if (/\.tar\.(xz|gz)$/.test(candidate)) build = unpacked(name, candidate);
  }
  found.set(name, build);
  return build;
}

/** `describe` for tests that need the build: skipped without it, the file saying `missing` in one line. */
export function describeOnBuild(place: PbxBuildPlace, missing: string): ReturnType<typeof describe.skipIf> {
  const absent = pbxBuild(place) == null;
  if (absent) console.log(missing);
  return describe.skipIf(absent);
}

/** The tarball unpacked once per machine, in a folder named by its path, size and time. */
function unpacked(name: string, tarball: string): string {
  const { size, mtimeMs } = statSync(tarball);
  const id = createHash('sha256').update(`${tarball}:${size}:${mtimeMs}`).digest('hex').slice(0, 12);
  const folder = join(tmpdir(), `lampfield-${name}-${id}`);
  if (existsSync(folder)) return folder;
  const staging = mkdtempSync(join(tmpdir(), `lampfield-${name}-unpack-`));
  execFileSync('tar', ['-xf', tarball, '-C', staging]);
  try {
    // Test files run side by side: the first to finish unpacking names the folder, the others use it.
    renameSync(staging, folder);
  } catch {
    rmSync(staging, { recursive: true, force: true });
  }
  return folder;
}
