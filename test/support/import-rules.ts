/**
 * The layer rules of the code (README "For developers", the house of BRIEF §11), read from the sources
 * themselves: every import, export-from and dynamic import() of every .ts file under the given folders,
 * resolved to the file it names (whatever its extension: `./panel.js` is src/panel's as much as
 * `./panel.ts`), checked against the rules, and searched for circles. Type-only imports count: a type
 * borrowed upward is a dependency all the same.
 *
 * Each layer says what it may import: other layers, Node's own modules, and packages by name. Anything
 * else it imports breaks its rule: a layer of the product it may not use, a package it has no business
 * loading (a hardware library in the pure core), or a file outside the product.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export interface Import {
  /** The importing file, relative to the root, with `/`. */
  from: string;
  /** The file imported, relative to the root (for a relative import), else the package or module name. */
  to: string;
  /** Whether `to` is a file of the tree (a relative import), not a package or Node module. */
  file: boolean;
  line: number;
}

export interface ImportGraph {
  files: string[];
  imports: Import[];
}

/** Every import of every .ts file under `folders` of `root`. */
export function readImports(root: string, folders: readonly string[]): ImportGraph {
  const files = folders
    .flatMap((folder) => tsFiles(join(root, folder)))
    .map((file) => toPosix(relative(root, file)));
  const imports: Import[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const { fileName, pos } of ts.preProcessFile(text, true, true).importedFiles) {
      const line = text.slice(0, pos).split('\n').length;
      const to = fileName.startsWith('.')
        ? toPosix(relative(root, resolve(root, dirname(file), fileName)))
        : fileName;
      imports.push({ from: file, to, file: fileName.startsWith('.'), line });
    }
  }
  return { files, imports };
}

function tsFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const toPosix = (path: string) => path.split('\\').join('/');

const NODE_MODULES = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** The libraries that drive hardware: only the drivers (hw/) load them, and the module's own server. */
const HARDWARE_LIBRARIES = [
  /^@elgato-stream-deck\//,
  /^node-hid$/,
  /^serialport$/,
  /^@serialport\//,
  /^@iiot2k\/gpiox$/,
  /^@napi-rs\/canvas$/,
];

/** The layers of the product, each a folder (or one file) of it. */
export const LAYERS = [
  'src/main.ts',
  'src/real-platform.ts',
  'src/cli',
  'src/app',
  'src/web',
  'src/sim',
  'src/sip',
  'src/panel',
  'src/config',
  'src/blf',
  'src/util',
  'hw',
  'firmware-sim/sim',
  'firmware-sim/pico',
  'firmware-sim/protocol',
] as const;
export type LayerName = (typeof LAYERS)[number];

/** The layer a path of the product is in; null for a path outside every layer. */
export function layerOf(path: string): LayerName | null {
  return LAYERS.find((layer) => path === layer || path.startsWith(`${layer}/`)) ?? null;
}

/** The one file of the module's protocol that the layers above it use for lamps (BRIEF §3, PROTOCOL.md §5.2). */
const LAMP = 'firmware-sim/protocol/lamp.ts';

export interface LayerRule {
  /** What the rule says, as a violation names it. */
  name: string;
  /** Other layers it may import (its own always). */
  layers: readonly LayerName[];
  /** Single files of other layers it may import. */
  files?: readonly string[];
  /** Whether it may import Node's own modules. */
  node: boolean;
  /** Packages it may import. */
  packages: readonly RegExp[];
}

const ALL_BUT = (...not: LayerName[]): LayerName[] => LAYERS.filter((layer) => !not.includes(layer));

/**
 * BRIEF §11 and §2, §5: the pure core (src/blf) and the module's protocol import no I/O and nothing above
 * them; nothing but the entry imports the command line; the application (src/app) is imported only by
 * the command line; the drivers (hw) are chosen by the application alone and use no SIP; the host driver
 * and the firmware simulator share the protocol and nothing else; the real clock, sockets and board are
 * picked by the composition root (src/real-platform.ts) alone, which only the entry imports.
 */
export const LAYER_RULES: Readonly<Record<LayerName, LayerRule>> = {
  'src/main.ts': {
    name: "src/main.ts is the entry: it imports the command line, the composition root, the Platform's type and util",
    layers: ['src/cli', 'src/real-platform.ts', 'src/util'],
    files: ['src/app/platform.ts'],
    node: true,
    packages: [],
  },
  'src/real-platform.ts': {
    name: 'src/real-platform.ts picks the real things: it imports what it picks, never the command line',
    layers: ALL_BUT('src/main.ts', 'src/cli'),
    node: true,
    packages: [],
  },
  'src/cli': {
    name: 'src/cli only parses arguments and prints: it imports src/app, src/config, src/blf and src/util',
    layers: ['src/app', 'src/config', 'src/blf', 'src/util'],
    node: true,
    packages: [],
  },
  'src/app': {
    name: 'src/app is the application: it imports any layer but the command line, the entry and the composition root',
    layers: ALL_BUT('src/main.ts', 'src/real-platform.ts', 'src/cli'),
    node: true,
    packages: [],
  },
  'src/web': {
    name: 'src/web (the page) imports src/panel, src/config, src/blf, the lamp and src/util',
    layers: ['src/panel', 'src/config', 'src/blf', 'src/util'],
    files: [LAMP],
    node: true,
    packages: [],
  },
  'src/sim': {
    name: 'src/sim (the PBX simulator) imports src/sip, src/blf, the lamp and src/util',
    layers: ['src/sip', 'src/blf', 'src/util'],
    files: [LAMP],
    node: true,
    packages: [],
  },
  'src/sip': {
    name: 'src/sip imports src/blf and src/util, Node and the sip package: no panel, no driver',
    layers: ['src/blf', 'src/util'],
    node: true,
    packages: [/^sip$/],
  },
  'src/panel': {
    name: 'src/panel (the panel interface) imports src/blf, the lamp, src/config and src/util: no driver',
    layers: ['src/blf', 'src/config', 'src/util'],
    files: [LAMP],
    node: true,
    packages: [],
  },
  'src/config': {
    name: 'src/config imports src/blf, src/sip (the call modes), src/util, ajv and yaml: no hardware library',
    layers: ['src/blf', 'src/sip', 'src/util'],
    files: [LAMP],
    node: true,
    packages: [/^ajv$/, /^yaml$/],
  },
  'src/blf': {
    name: 'src/blf is pure: it imports only src/blf, the lamp (firmware-sim/protocol/lamp.ts) and fast-xml-parser',
    layers: [],
    files: [LAMP],
    node: false,
    packages: [/^fast-xml-parser$/],
  },
  'src/util': {
    name: 'src/util imports only Node and pino (with its own pretty printer)',
    layers: [],
    node: true,
    packages: [/^pino$/, /^pino-pretty$/],
  },
  hw: {
    name: 'hw (the drivers) imports src/panel, src/config, src/blf, firmware-sim/protocol, src/util and hardware libraries: no SIP',
    layers: ['src/panel', 'src/config', 'src/blf', 'firmware-sim/protocol', 'src/util'],
    node: true,
    packages: HARDWARE_LIBRARIES,
  },
  'firmware-sim/sim': {
    name: 'firmware-sim/sim (the firmware) shares only the protocol with the host: it imports firmware-sim/protocol, src/util, Node and serialport',
    layers: ['firmware-sim/protocol', 'src/util'],
    node: true,
    packages: [/^serialport$/],
  },
  'firmware-sim/pico': {
    name: 'firmware-sim/pico (the real firmware on an emulated RP2040) imports firmware-sim/sim, firmware-sim/protocol, src/util, Node and rp2040js',
    layers: ['firmware-sim/sim', 'firmware-sim/protocol', 'src/util'],
    node: true,
    packages: [/^rp2040js$/],
  },
  'firmware-sim/protocol': {
    name: 'firmware-sim/protocol is pure and the lowest layer: it imports only itself',
    layers: [],
    node: false,
    packages: [],
  },
};

/** Whether `rule`'s layer may import `target` (a file of the tree, a Node module or a package). */
function allowed(rule: LayerRule, own: LayerName, target: Import): boolean {
  const { to } = target;
  if (!target.file)
    return NODE_MODULES.has(to) ? rule.node : rule.packages.some((pattern) => pattern.test(to));
  const layer = layerOf(to);
  if (layer == null) return false; // outside the product: tests, scripts, package.json
  const file = to.replace(/\.js$/, '.ts');
  return layer === own || rule.layers.includes(layer) || (rule.files ?? []).includes(file);
}

/** Each import that breaks a rule, as `file:line imports what: the rule`, in sort order. */
export function layerViolations(
  graph: ImportGraph,
  rules: Readonly<Record<LayerName, LayerRule>> = LAYER_RULES,
): string[] {
  const violations: string[] = [];
  for (const target of graph.imports) {
    const { from, to, line } = target;
    const own = layerOf(from);
    if (own == null) {
      violations.push(`${from}:${line} imports ${to}: ${from} is in no layer of the product`);
      continue;
    }
    const rule = rules[own];
    if (!allowed(rule, own, target)) violations.push(`${from}:${line} imports ${to}: ${rule.name}`);
  }
  return violations.sort();
}

/** Every import circle among the files (each once, as the files on it, from its first in sort order). */
export function importCircles(graph: ImportGraph): string[][] {
  const files = new Set(graph.files);
  const next = new Map<string, string[]>();
  for (const { from, to } of graph.imports)
    if (files.has(to)) next.set(from, [...(next.get(from) ?? []), to]);
  // Tarjan's strongly connected components: a component of more than one file, or a file importing
  // itself, is a circle.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (file: string) => {
    indices.set(file, index);
    low.set(file, index);
    index++;
    stack.push(file);
    onStack.add(file);
    for (const to of next.get(file) ?? []) {
      if (!indices.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(file, Math.min(low.get(file)!, indices.get(to)!));
    }
    if (low.get(file) !== indices.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (next.get(file) ?? []).includes(file)) circles.push(component.sort());
  };
  for (const file of [...files].sort()) if (!indices.has(file)) visit(file);
  return circles;
}
