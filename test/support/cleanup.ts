/**
 * What a test started, stopped after it: each step given is run after each test, the last first; and
 * after the file, any process still running is killed (processes.ts), so that none holds a port.
 */
import { afterAll, afterEach } from 'vitest';
import { killAll } from './processes.ts';

export function cleanupAfterEach(): (step: () => Promise<unknown>) => void {
  const steps: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step();
  });
  afterAll(() => killAll());
  return (step) => steps.push(step);
}
