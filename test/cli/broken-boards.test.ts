/**
 * A mistake in boards.json, as an installer editing it would make one: every command that reads the
 * table says the file, the JSON path and what is wrong in one line, and exits non-zero; no stack trace.
 * Run on a copy of lampfield whose boards.json has the mistake.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let copy = '';

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'lampfield-copy-'));
  for (const part of ['bin', 'src', 'hw', 'firmware-sim', 'deploy', 'package.json', 'boards.schema.json'])
    cpSync(join(ROOT, part), join(copy, part), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const boards = JSON.parse(readFileSync(join(ROOT, 'boards.json'), 'utf8')) as {
    boards: { id: string; grid: { rows: number } }[];
  };
  boards.boards.find((board) => board.id === 'module-20rgb')!.grid.rows = 0;
  writeFileSync(join(copy, 'boards.json'), JSON.stringify(boards, null, 2));
  const config = 'pbx: { host: 127.0.0.1 }\naccount: { user: "900" }\nkeys: [{ key: 1, partner: "207" }]\n';
  writeFileSync(join(copy, 'lampfield.yaml'), config);
});

afterAll(() => rmSync(copy, { recursive: true, force: true }));

function lampfield(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(copy, 'bin/lampfield.js'), ...args],
      { cwd: copy },
      (error, _out, stderr) =>
        resolve({ code: error == null ? 0 : typeof error.code === 'number' ? error.code : 1, stderr }),
    );
  });
}

describe('a broken boards.json', () => {
  it.each([
    ['run', ['run', '--config', 'lampfield.yaml'], 2],
    ['doctor', ['doctor', '--config', 'lampfield.yaml'], 2],
    ['sim', ['sim', '--port', '0'], 1],
    ['module', ['module', '--tcp', '0'], 1],
  ] as const)('%s says where, in one line', async (_name, args, code) => {
    const result = await lampfield([...args]);
    expect(result.code).toBe(code);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^lampfield ${args[0]}: \\S*boards\\.json: /boards/\\d+/grid/rows: must be >= 1$`),
    );
    // doctor adds its fix line; nothing else is said, and nothing like a stack trace.
    expect(lines.length).toBe(args[0] === 'doctor' ? 2 : 1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
