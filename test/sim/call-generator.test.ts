import { describe, expect, it } from 'vitest';
import { DEFAULT_GENERATOR, planCalls, seededRandom } from '../../src/sim/call-generator.ts';

const OPTIONS = { ...DEFAULT_GENERATOR, extensions: ['201', '207', '211', '212'], seed: 42 };

describe('generated calls', () => {
  it('are the same for the same seed, and differ for another', () => {
    expect(planCalls(OPTIONS, 600_000)).toEqual(planCalls(OPTIONS, 600_000));
    expect(planCalls({ ...OPTIONS, seed: 43 }, 600_000)).not.toEqual(planCalls(OPTIONS, 600_000));
  });

  it('come at about the configured rate, between two different extensions, within the ranges', () => {
    const plans = planCalls(OPTIONS, 60 * 60_000);
    expect(plans.length).toBeGreaterThan(12 * 60 * 0.8);
    expect(plans.length).toBeLessThan(12 * 60 * 1.2);
    for (const plan of plans) {
      expect(plan.from).not.toBe(plan.to);
      expect(plan.ringMs).toBeGreaterThanOrEqual(3000);
      expect(plan.ringMs).toBeLessThanOrEqual(9000);
      if (plan.talkMs != null) expect(plan.talkMs).toBeGreaterThanOrEqual(5000);
    }
    const missed = plans.filter((plan) => plan.talkMs == null).length / plans.length;
    expect(missed).toBeGreaterThan(0.15);
    expect(missed).toBeLessThan(0.35);
    expect(plans.some((plan) => plan.hold != null)).toBe(true);
  });

  it('needs two extensions and a rate', () => {
    expect(planCalls({ ...OPTIONS, extensions: ['207'] }, 600_000)).toEqual([]);
    expect(planCalls({ ...OPTIONS, callsPerMinute: 0 }, 600_000)).toEqual([]);
  });

  it('draws numbers spread over [0, 1)', () => {
    const random = seededRandom(7);
    const draws = Array.from({ length: 10_000 }, random);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(draws.reduce((sum, x) => sum + x, 0) / draws.length).toBeCloseTo(0.5, 1);
  });
});
