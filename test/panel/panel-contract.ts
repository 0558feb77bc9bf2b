/**
 * The contract every panel driver keeps (BRIEF §5), as one suite run against each implementation
 * (test/panel/panels.test.ts): the fake panel, the console board, the serial module driver with the
 * firmware simulator, and real hardware when an environment variable names it.
 */
import { describe, expect, it } from 'vitest';
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import type { KeyEventName, PanelDevice, PanelKeyEvent } from '../../src/panel/panel.ts';

export interface PanelHarness {
  panel: PanelDevice;
  /** Resolves once the hardware (or its stand-in) shows `lamp` on `key`. */
  shows(key: number, lamp: Lamp): Promise<void>;
  /** Presses `key` on the hardware; null where nobody can (real hardware without a robot finger). */
  press: ((key: number, gesture: 'short' | 'long') => Promise<void>) | null;
  close(): Promise<void>;
}

const info = (key: number) => ({
  partner: `sip:${200 + key}@pbx`,
  state: 'busy' as const,
  label: `Key ${key}`,
  caller: null,
});
const RED: Lamp = { color: 'red', pattern: 'fast-blink' };
const GREEN: Lamp = { color: 'green', pattern: 'steady' };
const AMBER: Lamp = { color: 'amber', pattern: 'slow-blink' };

function gestures(events: PanelKeyEvent[], key: number): KeyEventName[] {
  return events.filter((event) => event.key === key).map((event) => event.event);
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function panelContract(name: string, open: () => Promise<PanelHarness>): void {
  describe(`panel contract: ${name}`, () => {
    it('shows each lamp on its own key', async () => {
      const harness = await open();
      try {
        harness.panel.setLamp(1, RED, info(1));
        harness.panel.setLamp(2, GREEN, info(2));
        await harness.shows(1, RED);
        await harness.shows(2, GREEN);
      } finally {
        await harness.close();
      }
    });

    it('shows the last of quick successive changes', async () => {
      const harness = await open();
      try {
        harness.panel.setLamp(3, RED, info(3));
        harness.panel.setLamp(3, GREEN, info(3));
        harness.panel.setLamp(3, AMBER, info(3));
        await harness.shows(3, AMBER);
      } finally {
        await harness.close();
      }
    });

    it('ignores a key the board does not have', async () => {
      const harness = await open();
      try {
        expect(() => harness.panel.setLamp(10_000, RED, info(10_000))).not.toThrow();
        harness.panel.setLamp(4, GREEN, info(4));
        await harness.shows(4, GREEN);
      } finally {
        await harness.close();
      }
    });

    it('reports a short and a long press with the key and the gesture', async () => {
      const harness = await open();
      try {
        if (harness.press == null) return;
        const events: PanelKeyEvent[] = [];
        harness.panel.onKey((event) => events.push(event));
        await harness.press(5, 'short');
        await until(() => gestures(events, 5).includes('up'), 'the short press');
        expect(gestures(events, 5)).toEqual(['down', 'up']);
        await harness.press(6, 'long');
        await until(() => gestures(events, 6).includes('long'), 'the long press');
        expect(gestures(events, 6).slice(0, 2)).toEqual(['down', 'long']);
      } finally {
        await harness.close();
      }
    });
  });
}
