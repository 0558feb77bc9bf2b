/**
 * A gen-2 Stream Deck (MK.2 by default, or a Neo) at the HID boundary, for tests: @elgato-stream-deck/core runs for real on top of it
 * and sends it the same reports it sends a device on USB. The fake puts the image reports of each key
 * back together (the gen-2 header: 0x02 0x07, key, last, length, part) and decodes the JPEG, so a test
 * reads the color a person would see on a key; and it sends key reports as the device does.
 */
import {
  DEVICE_MODELS2,
  DeviceModelId,
  type HIDDevice,
  type HIDDeviceEvents,
  type StreamDeck,
} from '@elgato-stream-deck/core';
import { encodeJPEG } from '@elgato-stream-deck/node-lib';
import { EventEmitter } from 'eventemitter3';
import jpeg from 'jpeg-js';
import { LAMP_RGB } from '../../firmware-sim/protocol/lamp.ts';
import type { StreamDeckSource } from '../../hw/hid/stream-deck-panel.ts';

export class FakeStreamDeckHid extends EventEmitter<HIDDeviceEvents> implements HIDDevice {
  /** The latest complete image (JPEG) of each key index. */
  readonly images = new Map<number, Uint8Array>();
  imageReports = 0;
  unplugged = false;
  closed = false;
  private readonly partial = new Map<number, number[]>();
  private readonly held: Uint8Array;
  private readonly decoded = new Map<Uint8Array, string>();

  /** A gen-2 model: the MK.2 unless said otherwise (the Neo has touch points besides its keys). */
  constructor(readonly model: DeviceModelId = DeviceModelId.ORIGINALMK2) {
    super();
    this.held = new Uint8Array(model === DeviceModelId.NEO ? 10 : 15);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  sendFeatureReport(_data: Uint8Array): Promise<void> {
    return this.unplugged
      ? Promise.reject(new Error('could not send feature report to device'))
      : Promise.resolve();
  }

  getFeatureReport(_reportId: number, reportLength: number): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(reportLength));
  }

  sendReports(buffers: Uint8Array[]): Promise<void> {
    if (this.unplugged) return Promise.reject(new Error('Cannot write to hid device'));
    for (const report of buffers) {
      if (report[0] !== 0x02 || report[1] !== 0x07) continue;
      this.imageReports++;
      const key = report[2]!;
      const last = report[3] === 1;
      const length = report[4]! | (report[5]! << 8);
      const part = report[6]! | (report[7]! << 8);
      const bytes = part === 0 ? [] : (this.partial.get(key) ?? []);
      bytes.push(...report.subarray(8, 8 + length));
      this.partial.set(key, bytes);
      if (last) this.images.set(key, Uint8Array.from(bytes));
    }
    return Promise.resolve();
  }

  getDeviceInfo() {
    const { productIds, vendorId } = DEVICE_MODELS2[this.model];
    return Promise.resolve({ path: '/dev/hidraw-fake', productId: productIds[0]!, vendorId });
  }

  getChildDeviceInfo() {
    return Promise.resolve(null);
  }

  /** A finger on control `index` (0-based, as the device numbers them): the device's key report. */
  key(index: number, down: boolean): void {
    this.held[index] = down ? 1 : 0;
    const report = new Uint8Array(3 + this.held.length); // gen 2: type 0 (buttons), length, then one byte a key
    report.set(this.held, 3);
    this.emit('input', report);
  }

  /** The cable pulled: node-hid reports a read error. */
  unplug(): void {
    this.unplugged = true;
    this.emit('error', new Error('could not read from HID device'));
  }

  /** The palette color nearest to a corner pixel of key `index` (clear of the text), 'off' for dark. */
  color(index: number): string {
    const image = this.images.get(index);
    if (image == null) return 'none';
    let name = this.decoded.get(image);
    if (name == null) {
      const { data, width } = jpeg.decode(image, { useTArray: true });
      const at = (4 * width + 4) * 4;
      const pixel = [data[at]!, data[at + 1]!, data[at + 2]!];
      let best = Infinity;
      for (const [color, rgb] of Object.entries(LAMP_RGB)) {
        const distance = rgb.reduce((sum, value, i) => sum + (value - pixel[i]!) ** 2, 0);
        if (distance < best) [best, name] = [distance, color];
      }
      this.decoded.set(image, name!);
    }
    return name!;
  }
}

/** @elgato-stream-deck/core's own driver for `hid`'s model, with the JPEG encoder the node package uses. */
export function openFakeDeck(hid: FakeStreamDeckHid): Promise<StreamDeck> {
  return Promise.resolve(
    DEVICE_MODELS2[hid.model].factory(hid, {
      encodeJPEG: (buffer, width, height) => encodeJPEG(buffer, width, height, undefined),
    }),
  );
}

/** A USB port with a Stream Deck plugged in or not. */
export class FakeStreamDeckPort implements StreamDeckSource {
  readonly description = 'Stream Deck (fake)';
  device: FakeStreamDeckHid | null;
  opened = 0;

  constructor(readonly model: DeviceModelId = DeviceModelId.ORIGINALMK2) {
    this.device = new FakeStreamDeckHid(model);
  }

  open(): Promise<StreamDeck | null> {
    if (this.device == null || this.device.unplugged) return Promise.resolve(null);
    this.opened++;
    return openFakeDeck(this.device);
  }

  /** A fresh device in the port (replugged). */
  plug(): FakeStreamDeckHid {
    this.device = new FakeStreamDeckHid(this.model);
    return this.device;
  }
}
