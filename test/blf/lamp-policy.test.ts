import { describe, expect, it } from 'vitest';
import { DEFAULT_LAMPS, lampFor, resolveLampTable } from '../../src/blf/lamp-policy.ts';

describe('lamp policy', () => {
  it('gives the BRIEF §3 lamps on an RGB board', () => {
    expect(lampFor('ringing', DEFAULT_LAMPS, 'rgb')).toEqual({ color: 'red', pattern: 'fast-blink' });
    expect(lampFor('busy', DEFAULT_LAMPS, 'rgb')).toEqual({ color: 'red', pattern: 'steady' });
    expect(lampFor('calling', DEFAULT_LAMPS, 'rgb')).toEqual({ color: 'red', pattern: 'slow-blink' });
    expect(lampFor('held', DEFAULT_LAMPS, 'rgb')).toEqual({ color: 'amber', pattern: 'slow-blink' });
    expect(lampFor('idle', DEFAULT_LAMPS, 'rgb')).toEqual({ color: 'green', pattern: 'steady' });
    expect(lampFor('unknown', DEFAULT_LAMPS, 'rgb')).toEqual({ color: 'off', pattern: 'off' });
    expect(lampFor('refused', DEFAULT_LAMPS, 'rgb')).toEqual({ color: 'amber', pattern: 'flash' });
  });

  it('on a single-color board: idle dark, calling steady, ringing fast-blink, held slow-blink', () => {
    expect(lampFor('idle', DEFAULT_LAMPS, 'mono').pattern).toBe('off');
    expect(lampFor('calling', DEFAULT_LAMPS, 'mono').pattern).toBe('steady');
    expect(lampFor('ringing', DEFAULT_LAMPS, 'mono').pattern).toBe('fast-blink');
    expect(lampFor('held', DEFAULT_LAMPS, 'mono').pattern).toBe('slow-blink');
  });

  it('folds colors to red, green and amber on a bicolor board', () => {
    const table = resolveLampTable({ busy: { color: 'blue' }, ringing: { color: 'yellow' } });
    expect(lampFor('busy', table, 'bicolor')).toEqual({ color: 'green', pattern: 'steady' });
    expect(lampFor('ringing', table, 'bicolor')).toEqual({ color: 'amber', pattern: 'fast-blink' });
    expect(lampFor('held', table, 'bicolor')).toEqual({ color: 'amber', pattern: 'slow-blink' });
  });

  it('shows nothing on a key without a lamp', () => {
    expect(lampFor('ringing', DEFAULT_LAMPS, 'none')).toEqual({ color: 'off', pattern: 'off' });
  });

  it('applies global overrides, then the key’s own, one field at a time', () => {
    const table = resolveLampTable(
      { idle: { color: 'blue' }, busy: { pattern: 'slow-blink' } },
      { idle: { pattern: 'off' } },
    );
    expect(table.idle).toEqual({ color: 'blue', pattern: 'off', mono: 'off' });
    expect(table.busy).toEqual({ color: 'red', pattern: 'slow-blink', mono: 'steady' });
    expect(lampFor('idle', table, 'rgb')).toEqual({ color: 'off', pattern: 'off' });
    expect(DEFAULT_LAMPS.idle.color).toBe('green');
  });
});
