/**
 * The layers hold (README "For developers"): read from the sources, every import of src/, hw/ and
 * firmware-sim/ keeps the rules of test/support/import-rules.ts, and no files import each other in a
 * circle. The rules are shown to catch what they forbid on a fixture tree that breaks each once. Real
 * things (the clock, SIP sockets, the board, DNS, certificate files) are picked in one place only, the
 * composition root; and no file of the product grows past 400 lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCircles, LAYER_RULES, layerViolations, readImports } from './support/import-rules.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/layers/', import.meta.url));
const FOLDERS = ['src', 'hw', 'firmware-sim'];
const MAX_LINES = 400;

describe('architecture', () => {
  const graph = readImports(ROOT, FOLDERS);
  const text = (file: string) => readFileSync(join(ROOT, file), 'utf8');

  it('reads the whole product', () => {
    expect(graph.files).toContain('src/blf/dialog-intake.ts');
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
        text(file),
      ),
    );
    expect(impure).toEqual([]);
  });

  it('has no import circle', () => {
    expect(importCircles(graph)).toEqual([]);
  });

  it('catches each broken rule and the circle in a tree that has them', () => {
    const broken = readImports(FIXTURE, FOLDERS);
    const violations = layerViolations(broken);
    const imports = violations.map((line) => line.replace(/^(\S+?):\d+ imports (\S+): .*$/, '$1 → $2'));
    expect(imports).toEqual([
      'firmware-sim/pico/board.ts → src/blf/lamp-policy.ts',
      'firmware-sim/protocol/codes.ts → src/blf/lamp-policy.ts',
      'firmware-sim/sim/firmware.ts → hw/serial/module-link.ts',
      'hw/driver.ts → src/sip/stack.ts',
      'src/app/wiring.ts → src/cli/run.ts',
      'src/blf/reader.ts → node:fs',
      'src/blf/serial.ts → serialport',
      'src/blf/view.ts → src/panel/panel.js',
      'src/cli/stack-user.ts → src/sip/stack.ts',
      'src/config/boards.ts → serialport',
      'src/main.ts → src/app/wiring.ts',
      'src/panel/gpio.ts → hw/gpio/gpio-lines.ts',
      'src/real-platform.ts → src/cli/run.ts',
      'src/sim/board.ts → hw/open-board.ts',
      'src/sip/driver-lamps.ts → hw/gpio/gpio-panel.ts',
      'src/util/words.ts → src/blf/lamp-policy.ts',
      'src/web/page-server.ts → src/cli/run.ts',
    ]);
    // Every rule is shown failing at least once, each violation naming the rule it breaks.
    for (const rule of Object.values(LAYER_RULES))
      expect(violations.some((line) => line.endsWith(`: ${rule.name}`))).toBe(true);
    expect(importCircles(broken)).toEqual([['src/sip/first.ts', 'src/sip/second.ts']]);
  });

  it('picks every real thing in the composition root only: below it nothing defaults to one', () => {
    // What picks a real clock, socket, board, name lookup or certificate store, and the files that may.
    const picks: [RegExp, string, string[]][] = [
      [/\bsystemClock\b/, 'the system clock', ['src/util/clock.ts']],
      [/\bSipStack\.open\(/, 'a SIP stack', ['src/sip/stack.ts']],
      // The stack's transports (and their look at a refused certificate's dates) and the serial module's
      // TCP link are opened through the platform.
      [
        /\b(net|tls)\.connect\(/,
        'a TCP connection',
        ['src/sip/stream-transport.ts', 'src/sip/tls-failure.ts', 'hw/serial/module-link.ts'],
      ],
      [/import \{[^}]*\bopenBoard\b[^}]*\} from/, 'a board', []],
      [/from 'node:dns(\/promises)?'/, 'DNS', []],
      [/\brootCertificates\b|ca-certificates\.crt/, 'the certificate store', []],
      [/\bprocess\.(stdin|stdout|stderr|on|once)\b/, "the process's streams and signals", ['src/main.ts']],
    ];
    const elsewhere = graph.files.flatMap((file) =>
      picks
        .filter(([pattern, , owners]) => pattern.test(text(file)) && !owners.includes(file))
        .map(([, what]) => `${file} picks ${what}`),
    );
    expect(elsewhere.filter((line) => !line.startsWith('src/real-platform.ts '))).toEqual([]);
    expect(text('src/main.ts')).toMatch(/realPlatform\(/);
  });

  it('wires the application in under 100 lines: startWatcher hands named units what they need', () => {
    const lines = text('src/app/watcher.ts').split('\n');
    const start = lines.findIndex((line) => line.startsWith('export async function startWatcher('));
    const end = lines.findIndex((line, index) => index > start && line === '}');
    expect(start).toBeGreaterThan(0);
    expect(end - start - 1).toBeLessThan(100);
  });

  it(`has no file in src/, hw/ or firmware-sim/ over ${MAX_LINES} lines`, () => {
    const long = graph.files
      .map((file) => ({ file, lines: text(file).split('\n').length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
