/** sipp runs for the benchmarks, and their statistics (the CSV that `-trace_stat` writes). */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, type Started } from '../test/support/processes.ts';

export const SCENARIOS = fileURLToPath(new URL('../test/sipp/', import.meta.url));

export interface SippStats {
  successful: number;
  failed: number;
  retransmissions: number;
  /** Calls per second over the whole run, as sipp counts them. */
  rate: number;
}

/** Runs sipp with `args` and reads its final statistics. */
export async function runSipp(args: readonly string[]): Promise<SippStats> {
  const dir = mkdtempSync(join(tmpdir(), 'lampfield-bench-'));
  const file = join(dir, 'stats.csv');
  const run = startProcess('sipp', [...args, '-trace_stat', '-stf', file, '-fd', '1']);
  const code = await run.exited;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const names = lines[0]!.split(';');
  const values = lines.at(-1)!.split(';');
  const field = (name: string) => values[names.indexOf(name)] ?? '0';
  if (code !== 0 && Number(field('SuccessfulCall(C)')) === 0)
    throw new Error(`sipp failed (${code}): ${run.output()}`);
  return {
    successful: Number(field('SuccessfulCall(C)')),
    failed: Number(field('FailedCall(C)')),
    retransmissions: Number(field('Retransmissions(C)')),
    rate: Number(field('CallRate(C)')),
  };
}

export function startSipp(args: readonly string[]): Started {
  return startProcess('sipp', args);
}
