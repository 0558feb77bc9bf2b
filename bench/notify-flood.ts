/**
 * lampfield run's resident memory under a flood of 5,000 out-of-dialog 60 KB NOTIFYs in about 2.5 s
 * (BRIEF §10): before, at its peak, and 10 s after. Targets: peak under 150 MB, back to before + 10 MB 10 s on.
 */
import { floodWithNotifies, startFloodTarget } from '../test/support/notify-flood.ts';
import type { BenchRow } from './table.ts';

export async function benchNotifyFlood(): Promise<BenchRow[]> {
  const { lampfield, port } = await startFloodTarget();
  try {
    const memory = await floodWithNotifies(lampfield, port, 5000, 10_000);
    return [
      {
        figure: 'resident memory before a flood of 5,000 60 KB NOTIFYs',
        value: memory.beforeMb.toFixed(1),
        unit: 'MB',
      },
      { figure: '  at its peak (target < 150 MB)', value: memory.peakMb.toFixed(1), unit: 'MB' },
      { figure: '  10 s after (target: before + 10 MB)', value: memory.afterMb.toFixed(1), unit: 'MB' },
    ];
  } finally {
    await lampfield.stop();
  }
}
