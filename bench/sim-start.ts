/**
 * `npm start` to page ready (BRIEF §9): from starting `lampfield sim` until its page answers
 * and its event stream has delivered the panel. Target: under 3 s on this machine.
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { startProcess, stopProcess } from '../test/support/processes.ts';
import type { BenchRow } from './table.ts';

const BIN = fileURLToPath(new URL('../bin/lampfield.js', import.meta.url));

function firstEvent(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(new URL('events', url), (response) => {
      response.once('data', (chunk: Buffer) => {
        request.destroy();
        resolve(chunk.toString());
      });
    });
    request.on('error', reject);
  });
}

export async function benchSimStart(): Promise<BenchRow[]> {
  const runs: number[] = [];
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const sim = startProcess(process.execPath, [BIN, 'sim', '--port', '0', '--json']);
    let url: string | undefined;
    while ((url = /the panel is at (\S+)/.exec(sim.output())?.[1]) == null)
      await new Promise((resolve) => setTimeout(resolve, 5));
    const page = await fetch(url);
    await page.text();
    // The panel is ready once its keys are known: the first event lists them.
    while (!(await firstEvent(url)).includes('"keys":[{'))
      await new Promise((resolve) => setTimeout(resolve, 10));
    runs.push(performance.now() - started);
    await stopProcess(sim);
  }
  runs.sort((a, b) => a - b);
  return [
    {
      figure: 'npm start (lampfield sim) to page ready, median of 3 (target < 3 s)',
      value: (runs[1]! / 1000).toFixed(2),
      unit: 's',
    },
  ];
}
