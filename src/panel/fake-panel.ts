/** An in-memory panel for tests: remembers every lamp and label, and presses keys on request. */
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import type { Board } from '../config/boards.ts';
import type { KeyInfo, PanelDevice, PanelKeyEvent, PanelStatus } from './panel.ts';

export class FakePanel implements PanelDevice {
  readonly lamps = new Map<number, Lamp>();
  readonly labels = new Map<number, string | null>();
  /** What each key stands for as last shown with its lamp (partner, state, caller). */
  readonly infos = new Map<number, KeyInfo>();
  private keyHandlers: ((event: PanelKeyEvent) => void)[] = [];
  private statusHandlers: ((status: PanelStatus) => void)[] = [];
  closed = false;

  constructor(readonly board: Board) {}

  setLamp(key: number, lamp: Lamp, info: KeyInfo): void {
    this.lamps.set(key, lamp);
    this.labels.set(key, info.label);
    this.infos.set(key, info);
  }

  onKey(handler: (event: PanelKeyEvent) => void): void {
    this.keyHandlers.push(handler);
  }

  onStatus(handler: (status: PanelStatus) => void): void {
    this.statusHandlers.push(handler);
    handler({ state: 'connected', detail: 'in memory' });
  }

  /** A person pressing `key`. */
  press(event: PanelKeyEvent): void {
    for (const handler of this.keyHandlers) handler(event);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
