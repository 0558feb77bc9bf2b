/**
 * The partners' lamps: what each key shows, from what the subscriptions tell of its partner. Partner
 * updates come in (the dialog package's, and the registration package's where `pbx.registrations` asks);
 * key lamps go out, each change once, with what the lamp stands for (the partner, its state, the key's
 * label, the caller of a ringing call) for boards and pages that show more than a lamp.
 *
 *   dialog update ─────────────┐
 *                              ├─▶ situation (reginfo.ts withRegistration) ─▶ idle hold ─▶ lamp policy ─▶ show
 *   reg (or presence) update ──┘                                     a failed press: the error lamp ─┘
 *
 * The no-flicker hold of a change to idle (src/blf/idle-hold.ts, BRIEF §3) runs on the injected clock.
 * The last dialog update of every partner is kept: it is what a key press acts on (key-press.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import { callerOf } from '../blf/dialog-intake.ts';
import {
  DEFAULT_IDLE_HOLD_MS,
  offerState,
  settleIdleHold,
  startIdleHold,
  type IdleHold,
} from '../blf/idle-hold.ts';
import {
  lampFor,
  resolveLampTable,
  type LampCapability,
  type LampOverrides,
  type LampSituation,
  type LampTable,
} from '../blf/lamp-policy.ts';
import { withRegistration } from '../blf/reginfo.ts';
import type { KeyConfig } from '../config/config.ts';
import type { KeyView } from '../panel/panel.ts';
import type { PartnerUpdate } from '../sip/partner-update.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';

export interface PartnerLampsSetup {
  clock: Clock;
  log: Logger;
  /** The lamps of every key (config `lamps`); a key's own (`keys[].lamps`) come first. */
  lamps?: LampOverrides | undefined;
  /** What the board's lamps can show (boards.json `lamp.kind`). */
  capability: LampCapability;
  /** How long a change to idle is held back (config `idleHoldMs`). */
  idleHoldMs?: number;
  /** Whether registrations are watched (`pbx.registrations`): until they answer, idle is not shown. */
  registrations: boolean;
}

interface KeyLamp {
  key: KeyConfig;
  table: LampTable;
  hold: IdleHold;
  lamp: Lamp | null;
  cancelHold: (() => void) | null;
  /** While set, the key shows its error lamp (a failed press) instead of the partner's state. */
  cancelError: (() => void) | null;
}

/** A registration subscription that has said nothing yet. */
const REG_NOT_YET = { status: 'pending', situation: 'unknown' } as const;

export class PartnerLamps {
  private readonly byPartner = new Map<string, KeyLamp[]>();
  private readonly keys = new Map<number, KeyLamp>();
  private readonly dialogUpdates = new Map<string, PartnerUpdate>();
  private readonly regUpdates = new Map<string, PartnerUpdate>();
  /** Checks waiting for what the partners' updates will show (`until`), looked at after each update. */
  private readonly waiting = new Set<() => void>();

  constructor(
    keys: readonly KeyConfig[],
    private readonly setup: PartnerLampsSetup,
    private readonly show: (view: KeyView) => void,
  ) {
    for (const key of keys) this.add(key, 'unknown');
  }

  /**
   * The config's keys changed (a provisioning server's file, a reload): a key as it was keeps its lamp,
   * a new or changed one shows what is known of its partner at once, one no longer used goes dark (`dark`).
   * What is kept of a partner no longer `watched` is let go.
   */
  setKeys(keys: readonly KeyConfig[], watched: readonly string[], dark: (key: number) => void): void {
    const next = new Map(keys.map((key) => [key.key, key]));
    for (const [number, entry] of this.keys) {
      if (isDeepStrictEqual(next.get(number), entry.key)) continue;
      entry.cancelHold?.();
      entry.cancelError?.();
      this.keys.delete(number);
      const others = (this.byPartner.get(entry.key.partner) ?? []).filter((each) => each !== entry);
      if (others.length === 0) this.byPartner.delete(entry.key.partner);
      else this.byPartner.set(entry.key.partner, others);
      if (!next.has(number)) dark(number);
    }
    for (const key of keys) {
      if (this.keys.has(key.key)) continue;
      this.render(this.add(key, this.situation(key.partner)));
    }
    const still = new Set(watched);
    for (const updates of [this.dialogUpdates, this.regUpdates])
      for (const partner of updates.keys()) if (!still.has(partner)) updates.delete(partner);
  }

  private add(key: KeyConfig, situation: LampSituation): KeyLamp {
    const entry: KeyLamp = {
      key,
      table: resolveLampTable(this.setup.lamps, key.lamps),
      hold: startIdleHold(situation),
      lamp: null,
      cancelHold: null,
      cancelError: null,
    };
    this.keys.set(key.key, entry);
    this.byPartner.set(key.partner, [...(this.byPartner.get(key.partner) ?? []), entry]);
    return entry;
  }

  /** What the dialog package last told of a partner; null before anything (or for one no key watches). */
  partner(uri: string): PartnerUpdate | null {
    return this.dialogUpdates.get(uri) ?? null;
  }

  /** A partner's dialogs (RFC 4235), as its subscription tells them. */
  dialogs(update: PartnerUpdate): void {
    this.dialogUpdates.set(update.partner, update);
    this.offer(update);
    for (const check of [...this.waiting]) check();
  }

  /**
   * Resolves true once `check` holds of what the partners' updates show (now, or after one to come),
   * false when `ms` pass first.
   */
  until(check: () => boolean, ms: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (result: boolean) => {
        this.waiting.delete(look);
        cancel();
        resolve(result);
      };
      const look = () => {
        if (check()) done(true);
      };
      const cancel = this.setup.clock.after(ms, () => done(false));
      this.waiting.add(look);
    });
  }

  /**
   * Whether a partner has a phone (RFC 3680 registrations, or RFC 3856 presence where the PBX refuses
   * those: offline-watch.ts): offline when none is registered.
   */
  registrations(update: PartnerUpdate): void {
    this.regUpdates.set(update.partner, update);
    this.offer(update);
  }

  /** Flashes the key's error lamp for `ms` (a press that failed), then shows the partner's state again. */
  flashError(key: number, ms: number): void {
    const entry = this.keys.get(key);
    if (entry == null) return;
    entry.cancelError?.();
    entry.cancelError = this.setup.clock.after(ms, () => {
      entry.cancelError = null;
      this.render(entry);
    });
    this.render(entry);
  }

  /** Shows every key's current lamp again (a panel that reconnected). */
  replay(): void {
    for (const entry of this.keys.values()) {
      entry.lamp = null;
      this.render(entry);
    }
  }

  private offer(update: PartnerUpdate): void {
    const { partner } = update;
    this.setup.log.debug('partner', { partner, status: update.status, state: update.situation });
    const entries = this.byPartner.get(partner);
    if (entries == null) return;
    const situation = this.situation(partner);
    for (const entry of entries) this.hold(entry, situation);
  }

  /** The partner's situation from what its subscriptions told last. */
  private situation(partner: string): LampSituation {
    const registration = this.setup.registrations ? (this.regUpdates.get(partner) ?? REG_NOT_YET) : null;
    return withRegistration(this.dialogUpdates.get(partner)?.situation ?? 'unknown', registration);
  }

  /** The key's partner is now in `situation`: shown at once, or a change to idle after the hold. */
  private hold(entry: KeyLamp, situation: LampSituation): void {
    const { clock, idleHoldMs = DEFAULT_IDLE_HOLD_MS } = this.setup;
    const now = clock.now();
    entry.hold = offerState(entry.hold, situation, now, idleHoldMs);
    entry.cancelHold?.();
    entry.cancelHold = null;
    const due = entry.hold.due;
    if (due != null) {
      entry.cancelHold = clock.after(Math.max(0, due - now), () => {
        entry.cancelHold = null;
        // A timer may fire a fraction of a millisecond before the clock reads `due`: it is due.
        entry.hold = settleIdleHold(entry.hold, Math.max(clock.now(), due));
        this.render(entry);
      });
    }
    this.render(entry);
  }

  private render(entry: KeyLamp): void {
    const state: LampSituation = entry.cancelError != null ? 'error' : entry.hold.shown;
    const lamp = lampFor(state, entry.table, this.setup.capability);
    if (entry.lamp != null && entry.lamp.color === lamp.color && entry.lamp.pattern === lamp.pattern) return;
    entry.lamp = lamp;
    const { key, partner, label } = entry.key;
    const update = this.dialogUpdates.get(partner);
    const caller = state === 'ringing' && update != null ? callerOf(update.view) : null;
    this.show({ key, lamp, partner, state, label, caller });
  }
}
