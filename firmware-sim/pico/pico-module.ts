/**
 * The module's real firmware (firmware/, C for the Raspberry Pi Pico) on the emulated RP2040, as a
 * module a host drives and a person looks at (`lampfield module --firmware`, `lampfield sim
 * --firmware`): the emulator kept in step with the clock, the host's bytes fed to UART0 at the line's
 * pace, the firmware's bytes passed on as they leave, its lamps read off the WS2812 pin and its keys and
 * page keys pressed on the matrix. Only the page in view is lit on the hardware: keys of other pages show
 * nothing here. The hardware has no display: labels are kept by the firmware (INFO says 12 characters)
 * but shown nowhere, so none are shown here.
 */
import { FrameDecoder, type Frame } from '../protocol/framing.ts';
import { decodeMessage } from '../protocol/messages.ts';
import type { LampSetting } from '../protocol/messages.ts';
import type { ModuleDevice, ModuleLinkEnd } from '../sim/module-device.ts';
import {
  DEFAULT_TIMINGS,
  type FirmwareClock,
  type ModuleHardware,
  type Session,
} from '../sim/module-hardware.ts';
import { EmulatedPico } from './emulated-pico.ts';

/** The boards the C firmware is built for (firmware/src/board.h). */
export const FIRMWARE_BOARDS = ['module-20rgb', 'module-160rgb'] as const;
/** How often the emulator is brought up to the clock. */
const STEP_MS = 2;
/** The most emulated time one step runs: behind by more (a busy machine), the module slips instead. */
const MOST_PER_STEP_MS = 50;
/** Contact bounce of a finger's press on the matrix. */
const BOUNCE_MS = 3;
const DARK: LampSetting = { color: 'off', pattern: 'off' };

export class PicoModule implements ModuleDevice, ModuleLinkEnd {
  readonly pico: EmulatedPico;
  private page = 0;
  private transmit: ((bytes: Uint8Array) => void) | null = null;
  private outgoing: number[] = [];
  private readonly fromModule = new FrameDecoder();
  private readonly fromHost = new FrameDecoder();
  private readonly hostHellos = new Set<number>();
  private session: Session = 'post';
  /** The last lamp each key (then each page key) was seen showing. */
  private readonly lastReadings = new Map<number, LampSetting>();
  private resets = 0;
  private lastHostFrameAt = 0;
  private base: number;
  private cancel: () => void;

  constructor(
    image: Uint8Array,
    readonly hardware: ModuleHardware,
    private readonly clock: FirmwareClock,
  ) {
    this.pico = new EmulatedPico(image, 'recent');
    this.pico.onSent = (byte) => {
      this.outgoing.push(byte);
      for (const frame of this.fromModule.push(Uint8Array.of(byte))) this.heardModule(frame);
    };
    this.base = clock.now();
    this.cancel = clock.after(STEP_MS, () => this.step());
  }

  get perPage(): number {
    return this.hardware.keys.length / this.hardware.pages;
  }

  /** The page in view, as the module last said (PAGE_SHOWN, §5.11); 0 after a reset. */
  get shownPage(): number {
    return this.page;
  }

  /** The firmware's session as its link shows it (PROTOCOL.md §6): its own state is not visible from outside. */
  get state(): Session {
    if (this.session === 'ready' && this.pico.millis - this.lastHostFrameAt > DEFAULT_TIMINGS.watchdogMs)
      return 'host-lost';
    return this.session;
  }

  lamp(key: number): LampSetting | null {
    if (this.state !== 'ready' || Math.floor(key / this.perPage) !== this.page) return null;
    return this.reading(key, key % this.perPage);
  }

  label(): string {
    return '';
  }

  pageKeyLamp(index: number): LampSetting {
    if (this.state !== 'ready') return DARK;
    return this.reading(this.hardware.keys.length + index, this.perPage + index) ?? DARK;
  }

  /**
   * What LED `led` shows as lamp `lamp` (a key of the page in view, or a page key): while a change has
   * not yet shown its whole pattern, what it showed before, as a person would still say it.
   */
  private reading(lamp: number, led: number): LampSetting | null {
    const now = this.pico.lampNow(led);
    if (now != null) this.lastReadings.set(lamp, now);
    return now ?? this.lastReadings.get(lamp) ?? null;
  }

  pressSwitch(slot: number): void {
    if (slot >= 0 && slot < this.perPage) this.pico.key(slot, true, BOUNCE_MS);
  }

  releaseSwitch(slot: number): void {
    if (slot >= 0 && slot < this.perPage) this.pico.key(slot, false, BOUNCE_MS);
  }

  pressPageKey(index: number): void {
    if (index >= 0 && index < this.hardware.pageKeys.length)
      this.pico.key(this.perPage + index, true, BOUNCE_MS);
  }

  releasePageKey(index: number): void {
    if (index >= 0 && index < this.hardware.pageKeys.length)
      this.pico.key(this.perPage + index, false, BOUNCE_MS);
  }

  connect(transmit: (bytes: Uint8Array) => void): void {
    this.transmit = transmit;
    this.fromHost.reset();
  }

  disconnect(): void {
    this.transmit = null;
  }

  receive(bytes: Uint8Array): void {
    this.pico.receive(bytes);
    for (const frame of this.fromHost.push(bytes)) {
      if (frame.seq === 0) continue; // ACK and NAK do not feed the watchdog (§6.3)
      this.lastHostFrameAt = this.pico.millis;
      const decoded = decodeMessage(frame);
      if (decoded.ok && decoded.message.type === 'hello') this.hostHellos.add(frame.seq);
    }
  }

  /** Stops the emulator (the module is switched off). */
  stop(): void {
    this.cancel();
  }

  private step(): void {
    const behind = this.clock.now() - this.base - this.pico.millis;
    if (behind > MOST_PER_STEP_MS) this.base += behind - MOST_PER_STEP_MS;
    this.pico.run(Math.min(behind, MOST_PER_STEP_MS));
    if (this.pico.watchdogResets !== this.resets) {
      this.resets = this.pico.watchdogResets;
      this.session = 'post';
      this.page = 0;
      this.lastReadings.clear();
    }
    if (this.outgoing.length > 0) {
      const bytes = Uint8Array.from(this.outgoing);
      this.outgoing = [];
      this.transmit?.(bytes); // no cable: the bytes leave the UART and are lost
    }
    this.cancel = this.clock.after(STEP_MS, () => this.step());
  }

  /** §6.1–§6.2: the module's first frame after a reset announces it; its ACK of the host's HELLO is a session. */
  private heardModule(frame: Frame): void {
    const decoded = decodeMessage(frame);
    if (!decoded.ok) return;
    const { message } = decoded;
    if (this.session === 'post') this.session = 'announced';
    if (message.type === 'page-shown') this.page = message.page;
    if (message.type === 'ack' && this.hostHellos.delete(message.seq)) {
      this.session = 'ready';
      this.lastHostFrameAt = this.pico.millis;
    }
  }
}
