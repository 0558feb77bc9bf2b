/**
 * `npm run bench -- --json [FILE]` and `npm run bench -- --compare A.json B.json` (issue 30): a run's
 * rows as JSON, so that two runs (two commits, two machines) can be set side by side. A row's key is its
 * figure, a sub-row's (the indented "  p99" under a p50) with its parent's figure before it.
 */
import type { BenchRow } from './table.ts';

export interface BenchResults {
  /** When the run ended (ISO 8601), and the commit it ran on. */
  at: string;
  commit: string;
  rows: { key: string; value: string; unit: string }[];
}

export function resultsOf(rows: readonly BenchRow[], at: string, commit: string): BenchResults {
  let parent = '';
  return {
    at,
    commit,
    rows: rows.map((row) => {
      const indented = row.figure.startsWith(' ');
      if (!indented) parent = row.figure;
      return {
        key: indented ? `${parent} / ${row.figure.trim()}` : row.figure,
        value: row.value,
        unit: row.unit,
      };
    }),
  };
}

/** Reads a results file's text; throws one line naming `source` when it is not one. */
export function readResults(text: string, source: string): BenchResults {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${source}: not JSON (a file of npm run bench -- --json)`);
  }
  const rows = (data as { rows?: unknown } | null)?.rows;
  if (
    !Array.isArray(rows) ||
    !rows.every((row: unknown) => typeof (row as { key?: unknown } | null)?.key === 'string')
  )
    throw new Error(`${source}: no rows of npm run bench -- --json`);
  return data as BenchResults;
}

/**
 * The rows of both runs side by side, with B's value over A's where both are numbers; a row only one
 * run has is listed with a dash for the other.
 */
export function compareResults(a: BenchResults, b: BenchResults): BenchRow[] {
  const later = new Map(b.rows.map((row) => [row.key, row]));
  const keys = [
    ...a.rows.map((row) => row.key),
    ...b.rows.map((row) => row.key).filter((key) => !a.rows.some((row) => row.key === key)),
  ];
  const earlier = new Map(a.rows.map((row) => [row.key, row]));
  return [
    { figure: `A ${a.commit} (${a.at})  →  B ${b.commit} (${b.at})`, value: 'B / A', unit: '' },
    ...keys.map((key) => {
      const [x, y] = [earlier.get(key), later.get(key)];
      const [first, second] = [Number(x?.value), Number(y?.value)];
      const ratio =
        Number.isFinite(first) && Number.isFinite(second) && first !== 0 ? (second / first).toFixed(2) : '—';
      return {
        figure: key,
        value: ratio,
        unit: `(${x?.value ?? '—'} → ${y?.value ?? '—'} ${y?.unit ?? x?.unit ?? ''})`,
      };
    }),
  ];
}
