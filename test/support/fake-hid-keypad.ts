/**
 * The 12-key reference keypad of boards.json (`hid-keypad-12`) at the HID boundary, for tests, written as
 * its firmware behaves rather than from the board entry: input report 1 is a bitmap of held keys in bytes
 * 1–2 (key 1 = byte 1 bit 0), output report 2 a bitmap of lit LEDs in the same order.
 */
import { EventEmitter } from 'node:events';
import type { HidConnection, HidKeypadSource } from '../../hw/hid/hid-keypad-panel.ts';

export class FakeHidKeypad implements HidConnection {
  readonly writes: number[][] = [];
  unplugged = false;
  closed = false;
  private readonly events = new EventEmitter();
  private held = 0;

  on(event: 'data', listener: (report: Uint8Array) => void): void;
  on(event: 'error', listener: (error: unknown) => void): void;
  on(event: 'data' | 'error', listener: (value: never) => void): void {
    this.events.on(event, listener as (...args: unknown[]) => void);
  }

  write(report: number[]): Promise<number> {
    if (this.unplugged) return Promise.reject(new Error('Cannot write to hid device'));
    this.writes.push(report);
    return Promise.resolve(report.length);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** A finger on key `key` (1-based). */
  key(key: number, down: boolean): void {
    this.held = down ? this.held | (1 << (key - 1)) : this.held & ~(1 << (key - 1));
    this.events.emit('data', Uint8Array.from([1, this.held & 0xff, this.held >> 8]));
  }

  /** Whether LED `key` is lit, by the last LED report written. */
  lit(key: number): boolean {
    const report = this.writes.findLast((written) => written[0] === 2);
    if (report == null) return false;
    const bitmap = report[1]! | (report[2]! << 8);
    return ((bitmap >> (key - 1)) & 1) === 1;
  }

  unplug(): void {
    this.unplugged = true;
    this.events.emit('error', new Error('could not read from HID device'));
  }
}

export class FakeHidPort implements HidKeypadSource {
  readonly description = 'HID keypad (fake)';
  device: FakeHidKeypad | null = new FakeHidKeypad();

  open(): Promise<HidConnection | null> {
    return Promise.resolve(this.device == null || this.device.unplugged ? null : this.device);
  }

  plug(): FakeHidKeypad {
    this.device = new FakeHidKeypad();
    return this.device;
  }
}
