import { describe, expect, it } from 'vitest';
import { GestureTracker, keyAction } from '../../src/blf/key-actions.ts';

describe('key actions', () => {
  it('follows BRIEF §4 by default', () => {
    expect(keyAction('idle', 'short')).toEqual({ kind: 'dial' });
    expect(keyAction('unknown', 'short')).toEqual({ kind: 'dial' });
    expect(keyAction('ringing', 'short')).toEqual({ kind: 'pickup' });
    expect(keyAction('ringing', 'long')).toEqual({ kind: 'dial' });
    expect(keyAction('busy', 'short')).toEqual({ kind: 'dial' });
    expect(keyAction('held', 'long')).toEqual({ kind: 'none' });
  });

  it('takes the key’s own settings, per state or as a default', () => {
    const config = {
      idle: { long: { 'dial-code': '*81{number}' } },
      ringing: { short: 'none' as const },
      default: { long: 'dial' as const },
    };
    expect(keyAction('idle', 'long', config)).toEqual({ kind: 'dial-code', code: '*81{number}' });
    expect(keyAction('ringing', 'short', config)).toEqual({ kind: 'none' });
    expect(keyAction('busy', 'long', config)).toEqual({ kind: 'dial' });
  });
});

describe('gestures', () => {
  it('makes a short press of down-up and a long one of down-long, ignoring the release after long', () => {
    const tracker = new GestureTracker();
    expect(tracker.event(1, 'down')).toBeNull();
    expect(tracker.event(1, 'up')).toBe('short');
    expect(tracker.event(2, 'down')).toBeNull();
    expect(tracker.event(2, 'long')).toBe('long');
    expect(tracker.event(2, 'up')).toBeNull();
    expect(tracker.event(2, 'down')).toBeNull();
    expect(tracker.event(2, 'up')).toBe('short');
  });
});
