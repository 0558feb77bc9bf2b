import { describe, expect, it } from 'vitest';
import { loadBoards, parseBoards } from '../../src/config/boards.ts';

const good = {
  id: 'test-8',
  name: 'Eight keys',
  driver: 'gpio',
  grid: { rows: 2, columns: 4 },
  lamp: { kind: 'bicolor' },
  labels: { kind: 'none' },
};

function parse(boards: unknown[]) {
  return () => parseBoards(JSON.stringify({ boards }), 'boards.json');
}

describe('boards.json', () => {
  it('loads the shipped table and fills defaults', () => {
    const boards = loadBoards();
    expect(boards.map((board) => board.id)).toContain('console');
    expect(parse([good])()[0]).toMatchObject({ grid: { pages: 1 }, lamp: { hardwarePatterns: false } });
  });

  it('refuses a missing field, naming the JSON path', () => {
    const { lamp: _lamp, ...noLamp } = good;
    expect(parse([good, noLamp])).toThrow("boards.json: /boards/1: must have required property 'lamp'");
  });

  it('refuses a wrong value with what was expected', () => {
    expect(parse([{ ...good, lamp: { kind: 'tricolor' } }])).toThrow(
      'boards.json: /boards/0/lamp/kind: must be one of "rgb", "bicolor", "mono", "none"',
    );
    expect(parse([{ ...good, labels: { kind: 'text' } }])).toThrow(
      "/boards/0/labels: must have required property 'chars'",
    );
  });

  it('refuses an unknown field, a duplicate id and text that is not JSON', () => {
    expect(parse([{ ...good, grid: { rows: 1, columns: 1, colour: 'red' } }])).toThrow(
      '/boards/0/grid: has an unknown field "colour"',
    );
    expect(parse([good, good])).toThrow('/boards/1/id: "test-8" is used twice');
    expect(() => parseBoards('{', 'boards.json')).toThrow(/^boards\.json: not JSON/);
  });
});
