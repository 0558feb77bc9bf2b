/**
 * Part of `npm run build`: lampfield's code and its pure-JavaScript dependencies as a few files in
 * dist/bundle/ (esbuild), what bin/lampfield.js runs when it is current and the SD-card image ships.
 *
 * Why (bench/README.md "Start-up"): Node loads each of some 250 modules (lampfield's, fast-xml-parser's,
 * sip's, pino's, yaml's) one by one through its ESM loader; one file per command instead took the start
 * to the first SUBSCRIBE from ~190 to ~125 ms and the resident memory from ~70 to ~60 MB here. Each
 * command stays its own chunk (`splitting`), so a start still loads only what its command uses.
 *
 * Left outside, loaded from node_modules when used: native modules and their packages (serialport,
 * node-hid and the Stream Deck's, @napi-rs/canvas, gpiox), and what lampfield loads only on demand
 * through `createRequire` (pino-pretty at a terminal, Ajv without built validators, rp2040js).
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { packageFile } from '../src/util/package-files.ts';

const EXTERNAL = [
  'serialport',
  '@serialport/*',
  'node-hid',
  '@elgato-stream-deck/*',
  '@napi-rs/canvas',
  '@iiot2k/gpiox',
  'rp2040js',
  'pino-pretty',
  'ajv',
  'ajv/*',
];

// `--outdir DIR`: elsewhere than dist/bundle (the built-code test builds into a folder of its own).
const { outdir = packageFile('dist/bundle') } = parseArgs({ options: { outdir: { type: 'string' } } }).values;

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [packageFile('src/main.ts')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // CommonJS packages bundled into ES modules (sip, pino) call `require` for Node's own modules.
  banner: {
    js: "import { createRequire as lampfieldRequire } from 'node:module'; const require = lampfieldRequire(import.meta.url);",
  },
  // sip loads `ws` for a WebSocket transport (sip.js: `if (options.ws_port && WebSocket)`), which
  // lampfield never starts (UDP, TCP and TLS only, src/sip/stack.ts): in the bundle `ws` is null.
  plugins: [
    {
      name: 'no-websocket-for-sip',
      setup(on) {
        on.onResolve({ filter: /^ws$/ }, () => ({ path: 'ws', namespace: 'no-websocket' }));
        on.onLoad({ filter: /.*/, namespace: 'no-websocket' }, () => ({
          contents: 'module.exports = null;',
          loader: 'js',
        }));
      },
    },
  ],
  logLevel: 'warning',
});
