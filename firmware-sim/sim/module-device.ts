/**
 * A module as a person and a host meet it, whichever firmware runs it: the TypeScript simulator
 * (module-firmware.ts) or the C firmware on an emulated RP2040 (firmware-sim/pico). The terminal's
 * drawing, the simulator's page and `lampfield module` see a module only through these.
 */
import type { LampSetting } from '../protocol/messages.ts';
import type { ModuleHardware, Session } from './module-hardware.ts';

/** What a person sees on a module and the switches they press. */
export interface ModuleDevice {
  readonly hardware: ModuleHardware;
  /** Keys on one page (all of them on a module without pages). */
  readonly perPage: number;
  /** The page the keys show now, from 0. */
  readonly shownPage: number;
  readonly state: Session;
  /** The lamp `key` (from 0, on whatever page) shows, or null when none (or not yet told). */
  lamp(key: number): LampSetting | null;
  /** The label on `key`'s display; empty where the module has none. */
  label(key: number): string;
  /** The lamp of page key `index` (§5.10). */
  pageKeyLamp(index: number): LampSetting;
  /** The switch of the key at `slot` (0-based) of the page in view closes, or opens. */
  pressSwitch(slot: number): void;
  releaseSwitch(slot: number): void;
  pressPageKey(index: number): void;
  releasePageKey(index: number): void;
}

/** A module's end of its link (a TCP connection or a serial device, module-server.ts). */
export interface ModuleLinkEnd {
  /** The link came up: the module answers through `transmit`. */
  connect(transmit: (bytes: Uint8Array) => void): void;
  /** The link went away; the module runs on. */
  disconnect(): void;
  /** Bytes from the host. */
  receive(bytes: Uint8Array): void;
}
