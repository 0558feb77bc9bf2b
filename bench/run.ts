/** `npm run bench`: every benchmark, printed as one table. Timing targets live here, never in tests. */
import { benchCorePipeline } from './core-pipeline.ts';
import { formatTable } from './table.ts';

console.log(formatTable(benchCorePipeline()));
