/** The benchmarks' output: one table of figures (BRIEF §8, `npm run bench`). */
export interface BenchRow {
  figure: string;
  value: string;
  unit: string;
}

export function formatTable(rows: readonly BenchRow[]): string {
  const width = Math.max(...rows.map((row) => row.figure.length));
  const valueWidth = Math.max(...rows.map((row) => row.value.length));
  return rows
    .map((row) => `${row.figure.padEnd(width)}  ${row.value.padStart(valueWidth)} ${row.unit}`)
    .join('\n');
}
