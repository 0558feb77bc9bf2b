/**
 * The layer rules of the code (README "For developers"), read from the sources themselves: every
 * import, export-from and dynamic import() of every .ts file under the given folders, resolved to the
 * file it names, checked against the rules, and searched for circles. Type-only imports count: a type
 * borrowed upward is a dependency all the same.
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
      imports.push({ from: file, to, line });
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

/** The libraries that drive hardware: only hw/ (and what composes it) may load them. */
const VENDOR_LIBRARIES = [
  /^@elgato-stream-deck\//,
  /^node-hid$/,
  /^serialport$/,
  /^@serialport\//,
  /^@iiot2k\/gpiox$/,
  /^@napi-rs\/canvas$/,
];

const under = (file: string, folder: string) => file.startsWith(`${folder}/`);

export interface LayerRule {
  name: string;
  /** Whether the rule speaks of imports made by this file. */
  applies(from: string): boolean;
  /** Whether the import breaks the rule. */
  breaks(to: string): boolean;
}

/**
 * BRIEF §2 and the developers' guide: the pure core imports no I/O and nothing above it; nothing below
 * the command line reaches up into it; the config reads no hardware library.
 */
export const LAYER_RULES: readonly LayerRule[] = [
  {
    name: 'src/blf is pure: it imports no Node module and nothing outside src/blf',
    applies: (from) => under(from, 'src/blf'),
    breaks: (to) => NODE_MODULES.has(to) || (to.endsWith('.ts') && !under(to, 'src/blf')),
  },
  {
    name: 'firmware-sim/protocol is pure: it imports no Node module, only itself and src/blf',
    applies: (from) => under(from, 'firmware-sim/protocol'),
    breaks: (to) =>
      NODE_MODULES.has(to) ||
      (to.endsWith('.ts') && !under(to, 'firmware-sim/protocol') && !under(to, 'src/blf')),
  },
  {
    name: 'src/web, hw and src/sip never import src/cli',
    applies: (from) => under(from, 'src/web') || under(from, 'hw') || under(from, 'src/sip'),
    breaks: (to) => under(to, 'src/cli'),
  },
  {
    name: 'only src/main.ts and src/cli import src/cli',
    applies: (from) => !under(from, 'src/cli') && from !== 'src/main.ts',
    breaks: (to) => under(to, 'src/cli'),
  },
  {
    name: 'only src/cli and src/app import src/app',
    applies: (from) => !under(from, 'src/cli') && !under(from, 'src/app') && from !== 'src/main.ts',
    breaks: (to) => under(to, 'src/app'),
  },
  {
    name: 'src/config imports no hardware vendor library',
    applies: (from) => under(from, 'src/config'),
    breaks: (to) => VENDOR_LIBRARIES.some((library) => library.test(to)),
  },
];

/** Each import that breaks a rule, as `file:line imports what: the rule`, in sort order. */
export function layerViolations(graph: ImportGraph, rules: readonly LayerRule[] = LAYER_RULES): string[] {
  const violations: string[] = [];
  for (const { from, to, line } of graph.imports)
    for (const rule of rules)
      if (rule.applies(from) && rule.breaks(to))
        violations.push(`${from}:${line} imports ${to}: ${rule.name}`);
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
