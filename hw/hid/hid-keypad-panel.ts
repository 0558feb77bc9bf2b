/**
 * A generic USB HID keypad (BRIEF §5), its reports described in boards.json (`hid`): each key is a bit
 * of an input report, each LED a bit of an output report. Keypad firmware debounces its keys, so the
 * driver only times long presses; it blinks LEDs on the shared blink clock by writing the output report
 * again at each phase change (one report for every LED, sent once per change, however many changed).
 *
 * Unplugged (a read or write error), the panel says so, looks for the keypad again every 2 s, and writes
 * every LED when it is back, as the serial driver does.
 */
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import { lampEntries, type Board, type HidReportLayout } from '../../src/config/boards.ts';
import {
  errorText,
  HostDrivenPanel,
  type DeviceSource,
  type HostDrivenPanelOptions,
} from '../../src/panel/host-driven-panel.ts';
import { DEFAULT_SWITCH_TIMINGS } from '../../src/panel/key-switches.ts';
import type { KeyInfo } from '../../src/panel/panel.ts';
import { ledsFor } from '../../src/panel/software-lamps.ts';

/** An open HID device, as node-hid's HIDAsync offers it (the hardware boundary). */
export interface HidConnection {
  on(event: 'data', listener: (report: Uint8Array) => void): void;
  on(event: 'error', listener: (error: unknown) => void): void;
  write(report: number[]): Promise<number>;
  close(): Promise<void>;
}

/** Where the panel finds its keypad: USB (hid-keypad-usb.ts) or a fake device in tests. */
export type HidKeypadSource = DeviceSource<HidConnection>;

const RETRY_MS = 2000;

export class HidKeypadPanel extends HostDrivenPanel {
  private device: HidConnection | null = null;
  private readonly layout: HidReportLayout;
  private readonly report: number[];
  private lastWritten = '';
  private writeQueued = false;

  constructor(
    board: Board,
    private readonly source: HidKeypadSource,
    options: HostDrivenPanelOptions,
  ) {
    super(board, options.clock, options.blink, {
      debounceMs: 0,
      longPressMs: options.longPressMs ?? DEFAULT_SWITCH_TIMINGS.longPressMs,
    });
    if (board.hid == null) throw new Error(`board "${board.id}" has no hid report layout in boards.json`);
    this.layout = board.hid;
    this.report = new Array<number>(this.layout.output.length).fill(0);
    this.report[0] = this.layout.output.reportId;
  }

  start(): void {
    void this.connect();
  }

  get ready(): boolean {
    return this.device != null;
  }

  setLamp(key: number, lamp: Lamp, _info: KeyInfo): void {
    if (key < 1 || key > this.keys) return;
    this.lamps.set(key, lamp);
  }

  async close(): Promise<void> {
    this.stop();
    const device = this.device;
    this.device = null;
    if (device == null) return;
    // Every LED dark once lampfield is gone, not the last state frozen.
    this.report.fill(0, 1);
    await device.write([...this.report]).catch(() => undefined);
    await device.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const device = await this.openDevice(this.source, RETRY_MS, () => void this.connect());
    if (device == null) return;
    this.device = device;
    device.on('data', (report) => this.input(report));
    device.on('error', (error) => void this.lost(device, errorText(error)));
    this.status({ state: 'connected', detail: `${this.source.description}, ${this.keys} keys` });
    this.lastWritten = '';
    this.lamps.replay();
    this.queueWrite();
  }

  private async lost(device: HidConnection, reason: string): Promise<void> {
    if (this.device !== device) return;
    this.device = null;
    this.switches.reset();
    await device.close().catch(() => undefined);
    this.status({ state: 'disconnected', detail: `${this.source.description}: ${reason}` });
    this.retry(RETRY_MS, () => void this.connect());
  }

  /** An input report: every key's bit, pressed or not (numbered reports start with their id). */
  private input(report: Uint8Array): void {
    const { reportId, activeLow, keys } = this.layout.input;
    if (reportId !== 0 && report[0] !== reportId) return;
    keys.forEach(({ byte, bit }, index) => {
      const set = ((report[byte] ?? 0) >> bit) & 1;
      this.switches.raw(index + 1, (set === 1) !== activeLow);
    });
  }

  protected show(key: number, lamp: Lamp, lit: boolean): void {
    const bits = this.layout.output.lamps[key - 1];
    if (bits == null) return;
    const leds = ledsFor(lamp, lit);
    for (const [color, { byte, bit }] of lampEntries(bits)) {
      if (leds[color]) this.report[byte]! |= 1 << bit;
      else this.report[byte]! &= ~(1 << bit);
    }
    this.queueWrite();
  }

  /** One output report for all the changes made together (a blink phase flips many keys at once). */
  private queueWrite(): void {
    if (this.writeQueued) return;
    this.writeQueued = true;
    queueMicrotask(() => {
      this.writeQueued = false;
      const device = this.device;
      const report = [...this.report];
      const text = report.join();
      if (device == null || text === this.lastWritten) return;
      this.lastWritten = text;
      device.write(report).catch((error: unknown) => void this.lost(device, errorText(error)));
    });
  }
}
