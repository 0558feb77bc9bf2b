/**
 * The panel interface (BRIEF §5): what every board driver offers the product, whatever hardware
 * carries the keys and lamps. One implementation per board kind (console, serial module, GPIO, HID) and
 * an in-memory fake (fake-panel.ts); test/panel/panel-contract.ts runs the same suite against each.
 * Keys are numbered from 1, as in the config.
 */
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import type { LampSituation } from '../blf/lamp-policy.ts';
import type { Board } from '../config/boards.ts';

/** What a key shows besides its lamp, for boards that can show it (labels, the status page). */
export interface KeyInfo {
  partner: string;
  state: LampSituation;
  label: string | null;
  /** Who is calling the partner, while the partner rings (for boards that draw it). */
  caller: string | null;
}

/** What a key shows, as a page or a log draws it: its lamp and what the lamp stands for. */
export interface KeyView extends KeyInfo {
  key: number;
  lamp: Lamp;
}

/**
 * What became of a key press, as the status page lists it: reported when the press starts (`started`,
 * or at once `nothing`/`failed` when there is nothing to call), and again with the same `id` when the
 * desk phone's call has gone as far as it goes (`done` or `failed`).
 */
export interface PressReport {
  id: number;
  key: number;
  stage: 'started' | 'done' | 'failed' | 'nothing';
  /** In words, e.g. "picked up 216's call from 217", "failed: the desk phone is busy (486 Busy Here)". */
  text: string;
}

/** Whether the PBX answers lampfield (its keepalive, src/sip/pbx-keepalive.ts). */
export interface PbxReach {
  up: boolean;
  detail: string;
}

/** Something that shows every key as it changes (the status page, src/web), and what presses did. */
export interface KeyViewer {
  keyShown(view: KeyView): void;
  pressShown?(report: PressReport): void;
  pbxShown?(reach: PbxReach): void;
  /** The page (from 0) the panel's own keys show, on a board with pages. */
  pageShown?(page: number): void;
  /** The keys the config uses now (it changed while running); the others are shown as unused. */
  keysUsed?(keys: readonly number[]): void;
}

/**
 * What a key did: went down, came up, or has been held down long enough for a long press (the three
 * the module protocol carries too, PROTOCOL.md §5.7). A person's gesture (a short or long press) is made
 * of these by src/blf/key-actions.ts `GestureTracker`.
 */
export type KeyEventName = 'down' | 'up' | 'long';

export interface PanelKeyEvent {
  key: number;
  event: KeyEventName;
}

export type PanelStatus =
  | { state: 'connected'; detail: string }
  | { state: 'disconnected'; detail: string }
  /** The hardware answers but cannot be used as configured (wrong board, wrong capabilities). */
  | { state: 'unusable'; detail: string };

export interface PanelDevice {
  readonly board: Board;
  /** Shows `lamp` on `key`; a board without the link up shows it once the link is back. */
  setLamp(key: number, lamp: Lamp, info: KeyInfo): void;
  onKey(handler: (event: PanelKeyEvent) => void): void;
  onStatus(handler: (status: PanelStatus) => void): void;
  /** Boards with pages: which page (from 0) the panel shows, whenever that changes. */
  onPage?(handler: (page: number) => void): void;
  close(): Promise<void>;
}

/** Passes status changes to handlers, each once: a board that stays unplugged is said once, not every retry. */
export class PanelStatusReporter {
  private readonly handlers: ((status: PanelStatus) => void)[] = [];
  private last = '';

  add(handler: (status: PanelStatus) => void): void {
    this.handlers.push(handler);
  }

  report(status: PanelStatus): void {
    const said = `${status.state} ${status.detail}`;
    if (said === this.last) return;
    this.last = said;
    for (const handler of this.handlers) handler(status);
  }
}
