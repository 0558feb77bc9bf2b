/**
 * The layers hold (README "For developers"): read from the sources, every import of src/, hw/ and
 * firmware-sim/ keeps the rules of test/support/import-rules.ts, and no files import each other in a
 * circle. The rules are shown to catch what they forbid on a fixture tree that breaks each once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCircles, layerViolations, readImports } from './support/import-rules.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/layers/', import.meta.url));
const FOLDERS = ['src', 'hw', 'firmware-sim'];

describe('architecture', () => {
  const graph = readImports(ROOT, FOLDERS);

  it('reads the whole product', () => {
    expect(graph.files).toContain('src/blf/dialog-watcher.ts');
    expect(graph.files).toContain('hw/open-board.ts');
    expect(graph.files).toContain('firmware-sim/protocol/messages.ts');
    expect(graph.imports.length).toBeGreaterThan(200);
  });

  it('keeps every layer rule', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('keeps the pure core off the clock: no timer, no time read, no randomness, no process', () => {
    const pure = graph.files.filter((file) => /^(src\/blf|firmware-sim\/protocol)\//.test(file));
    expect(pure.length).toBeGreaterThan(10);
    const impure = pure.filter((file) =>
      /\bset(Timeout|Interval|Immediate)\(|Date\.now\(|performance\.now\(|Math\.random\(|\bprocess\./.test(
        readFileSync(join(ROOT, file), 'utf8'),
      ),
    );
    expect(impure).toEqual([]);
  });

  it('has no import circle', () => {
    expect(importCircles(graph)).toEqual([]);
  });

  it('catches each broken rule and the circle in a tree that has them', () => {
    const broken = readImports(FIXTURE, FOLDERS);
    expect(layerViolations(broken)).toEqual([
      'firmware-sim/protocol/codes.ts:2 imports src/cli/run.ts: firmware-sim/protocol is pure: it imports no Node module, only itself and src/blf',
      'firmware-sim/protocol/codes.ts:2 imports src/cli/run.ts: only src/main.ts and src/cli import src/cli',
      'src/blf/reader.ts:2 imports node:fs: src/blf is pure: it imports no Node module and nothing outside src/blf',
      'src/config/boards.ts:2 imports serialport: src/config imports no hardware vendor library',
      'src/web/page-server.ts:2 imports src/cli/run.ts: only src/main.ts and src/cli import src/cli',
      'src/web/page-server.ts:2 imports src/cli/run.ts: src/web, hw and src/sip never import src/cli',
    ]);
    expect(importCircles(broken)).toEqual([['src/sip/first.ts', 'src/sip/second.ts']]);
  });
});
