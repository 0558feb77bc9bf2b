import { describe, expect, it } from 'vitest';
import { GestureTracker, keyAction, PressGate } from '../../src/blf/key-actions.ts';

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

describe('a press while the desk phone is in a call', () => {
  it('transfers by default, picks up a ringing partner, and never sends a caller to an offline phone', () => {
    for (const state of ['idle', 'busy', 'calling', 'held', 'unknown', 'refused'] as const)
      expect(keyAction(state, 'short', {}, true), state).toEqual({ kind: 'transfer' });
    expect(keyAction('ringing', 'short', {}, true)).toEqual({ kind: 'pickup' });
    expect(keyAction('offline', 'short', {}, true)).toEqual({ kind: 'none' });
    // A long press is not changed by the call.
    expect(keyAction('idle', 'long', {}, true)).toEqual({ kind: 'none' });
    expect(keyAction('ringing', 'long', {}, true)).toEqual({ kind: 'dial' });
  });

  it('takes inCall per state or as a default (transfer, dial, pickup, none)', () => {
    const config = { busy: { inCall: 'dial' as const }, default: { inCall: 'none' as const } };
    expect(keyAction('busy', 'short', config, true)).toEqual({ kind: 'dial' });
    expect(keyAction('idle', 'short', config, true)).toEqual({ kind: 'none' });
    expect(keyAction('idle', 'short', config, false)).toEqual({ kind: 'dial' });
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

  it('takes an up or a long with no down before it as no gesture', () => {
    const tracker = new GestureTracker();
    expect(tracker.event(3, 'up')).toBeNull();
    expect(tracker.event(3, 'long')).toBeNull();
    expect(tracker.event(3, 'up')).toBeNull();
    expect(tracker.event(3, 'down')).toBeNull();
    expect(tracker.event(3, 'long')).toBe('long');
    expect(tracker.event(3, 'long')).toBeNull();
  });
});

describe('the press gate', () => {
  it('lets one press of a key through at a time, not again within 250 ms', () => {
    const gate = new PressGate();
    expect(gate.admit(1, 0)).toBe(true);
    expect(gate.admit(1, 300)).toBe(false); // still being carried out
    gate.done(1);
    expect(gate.admit(1, 200)).toBe(false); // too soon
    expect(gate.admit(1, 300)).toBe(true);
    expect(gate.admit(2, 300)).toBe(true); // another key
  });

  it('lets no more than 8 presses a second through, of all keys together', () => {
    const gate = new PressGate();
    const through = Array.from({ length: 3000 }, (_, i) => i % 40).filter((key, i) => {
      const admitted = gate.admit(key + 1, i / 3); // 3,000 events in one second
      gate.done(key + 1);
      return admitted;
    });
    expect(through).toHaveLength(8);
    expect(gate.admit(99, 1000)).toBe(true); // the next second
  });
});
