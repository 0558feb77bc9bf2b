/**
 * The panel interface (BRIEF §5): what every board driver offers the product. The console board is the
 * first implementation; the serial module, GPIO and HID drivers follow the same interface.
 */
import type { Lamp, LampSituation } from '../blf/lamp-policy.ts';
import type { Board } from '../config/boards.ts';

/** What a key shows besides its lamp, for boards that can show it (labels, the status page). */
export interface KeyInfo {
  partner: string;
  state: LampSituation;
  label: string | null;
}

export interface PanelDevice {
  readonly board: Board;
  setLamp(key: number, lamp: Lamp, info: KeyInfo): void;
  close(): Promise<void>;
}
