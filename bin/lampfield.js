#!/usr/bin/env node
// lampfield's command. Runs the built code (dist/bundle/, made by `npm run build`, scripts/bundle.ts; the
// SD-card image ships only that) when it is there and not older than any source; otherwise the TypeScript
// sources through tsx, so that a fresh checkout needs no build step.
/* global URL, console, process, setTimeout */
import { existsSync, readdirSync, statSync } from 'node:fs';
import module from 'node:module';

// Node ≥ 22.1 keeps the compiled code of every module it loads, and the next start reads it instead of
// compiling again (NODE_COMPILE_CACHE names where; the card's service sets it on its data partition,
// else the system's temporary folder). Node writes it out only when the process exits, and a service
// runs until the power is cut: so it is written once start-up is over (image:test found it empty).
// Node 20 has no such cache: nothing happens there.
module.enableCompileCache?.();
setTimeout(() => module.flushCompileCache?.(), 15_000).unref();

const root = new URL('..', import.meta.url);
const built = new URL('dist/bundle/main.js', root);
const sourceFolders = ['src', 'hw', 'firmware-sim'];

/** Whether dist/ holds the code of today's sources (or there are no sources, as on the image). */
function builtIsCurrent() {
  if (!existsSync(built)) return false;
  if (!existsSync(new URL('src/main.ts', root))) return true;
  const builtAt = statSync(built).mtimeMs;
  for (const folder of sourceFolders) {
    const dir = new URL(`${folder}/`, root);
    for (const name of readdirSync(dir, { recursive: true })) {
      if (String(name).endsWith('.ts') && statSync(new URL(String(name), dir)).mtimeMs > builtAt)
        return false;
    }
  }
  return true;
}

if (builtIsCurrent()) {
  await import(built.href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    console.error(
      'lampfield: neither built code (dist/) nor tsx is installed; run `npm install` or `npm run build`',
    );
    process.exit(1);
  }
  register();
  await import('../src/main.ts');
}
