/**
 * What the panels driven key by key from the host have in common (GPIO, Stream Deck, HID keypads): lamps
 * blinked in software on the shared blink clock, switches debounced and timed here, key and status
 * handlers, and retrying a device that is absent or busy. Each driver adds how its device is claimed and
 * how a lamp is shown on it.
 */
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import { keyCount, type Board } from '../config/boards.ts';
import type { Clock } from '../util/clock.ts';
import type { BlinkClock } from './blink-clock.ts';
import { KeySwitches, type SwitchTimings } from './key-switches.ts';
import {
  PanelStatusReporter,
  type KeyInfo,
  type PanelDevice,
  type PanelKeyEvent,
  type PanelStatus,
} from './panel.ts';
import { SoftwareLamps } from './software-lamps.ts';

/** A device that may be plugged in or not: opening gives it, or null when it is not there. */
export interface DeviceSource<Device> {
  /** What it looks for, for messages: "Stream Deck (0x0fd9:0x0080)". */
  readonly description: string;
  /** Opens the device; null when none is plugged in. Throws when one is there but cannot be opened. */
  open(): Promise<Device | null>;
}

/** What every host-driven panel is given: the clock, the process's one blink clock, the long-press time. */
export interface HostDrivenPanelOptions {
  clock: Clock;
  blink: BlinkClock;
  longPressMs?: number;
}

export abstract class HostDrivenPanel implements PanelDevice {
  protected readonly lamps: SoftwareLamps;
  protected readonly switches: KeySwitches;
  protected readonly keys: number;
  protected closed = false;
  private readonly keyHandlers: ((event: PanelKeyEvent) => void)[] = [];
  private readonly statuses = new PanelStatusReporter();
  private cancelRetry: () => void = () => undefined;

  constructor(
    readonly board: Board,
    protected readonly clock: Clock,
    blink: BlinkClock,
    timings: SwitchTimings,
  ) {
    this.keys = keyCount(board);
    this.lamps = new SoftwareLamps(blink, (key, lamp, lit) => this.show(key, lamp, lit));
    this.switches = new KeySwitches(clock, timings, (event) => {
      for (const handler of this.keyHandlers) handler(event);
    });
  }

  abstract setLamp(key: number, lamp: Lamp, info: KeyInfo): void;
  abstract close(): Promise<void>;
  /** Shows `lamp` on `key`, lit or dark at this moment of its pattern. */
  protected abstract show(key: number, lamp: Lamp, lit: boolean): void;

  onKey(handler: (event: PanelKeyEvent) => void): void {
    this.keyHandlers.push(handler);
  }

  onStatus(handler: (status: PanelStatus) => void): void {
    this.statuses.add(handler);
  }

  protected status(status: PanelStatus): void {
    this.statuses.report(status);
  }

  /** Calls `attempt` after `ms`, unless closed first. */
  protected retry(ms: number, attempt: () => void): void {
    this.cancelRetry();
    if (!this.closed) this.cancelRetry = this.clock.after(ms, attempt);
  }

  /** Stops blinking, timing and retrying; the driver then lets its device go. */
  protected stop(): void {
    this.closed = true;
    this.cancelRetry();
    this.lamps.close();
    this.switches.reset();
  }

  /**
   * One attempt to open a USB device: null (said, and retried after `retryMs`, or 10 s when it cannot be
   * opened) unless the device is there and the panel still wants it.
   */
  protected async openDevice<Device extends { close(): Promise<void> }>(
    source: DeviceSource<Device>,
    retryMs: number,
    again: () => void,
  ): Promise<Device | null> {
    if (this.closed) return null;
    let device: Device | null;
    try {
      device = await source.open();
    } catch (error) {
      this.status({ state: 'unusable', detail: `${source.description}: ${errorText(error)}` });
      this.retry(UNUSABLE_RETRY_MS, again);
      return null;
    }
    if (this.closed) {
      await device?.close().catch(() => undefined);
      return null;
    }
    if (device == null) {
      this.status({ state: 'disconnected', detail: `no ${source.description} is plugged in` });
      this.retry(retryMs, again);
    }
    return device;
  }
}

export const UNUSABLE_RETRY_MS = 10_000;

export const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
