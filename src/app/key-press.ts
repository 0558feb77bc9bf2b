/**
 * A key press, as a unit (BRIEF §4): the partner's state and the gesture pick the key's action
 * (src/blf/key-actions.ts), and the action becomes the call the desk phone is to make (`planPress`): the
 * partner for a dial, the code with the partner's number for a dial-code, the pickup's URI for a pickup.
 * Or it becomes the reason it cannot be made. Every URI the phone is to call names the PBX's port when it
 * is on the PBX (uri.ts `onPbxPort`). KeyPresses, below, takes a panel's key events to their outcome:
 * gesture, gate, plan, the desk phone's call (through PressCalls: desk-phone.ts, or a fake in tests).
 *
 * The pickup is planned once: the partner's view (src/blf/dialog-intake.ts) carries the plan made with
 * the config's pickup order and code, the same one `lampfield decode` prints. Only a key with a pickup
 * order of its own (`keys[].pickup`) plans again, with that order.
 */
import type { DeskCall } from '../blf/desk-phone-calls.ts';
import type { ChosenDialect } from '../blf/dialect-choice.ts';
import type { Dialect } from '../blf/dialects.ts';
import { callerOf, type PartnerView } from '../blf/dialog-intake.ts';
import {
  GestureTracker,
  keyAction,
  PressGate,
  type Gesture,
  type KeyActionConfig,
} from '../blf/key-actions.ts';
import type { LampSituation } from '../blf/lamp-policy.ts';
import { pickupUri, planPickup, type PickupOptions, type PickupTarget } from '../blf/pickup.ts';
import { onPbxPort, uriUser, type PbxPlace } from '../blf/uri.ts';
import type { KeyConfig } from '../config/config.ts';
import type { KeyViewer, PanelKeyEvent, PressReport } from '../panel/panel.ts';
import type { CallOutcome, CallTarget } from '../sip/call-outcome.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { callsShowItWorked } from './call-evidence.ts';
import type { PartnerLamps } from './partner-lamps.ts';

/** What every key's press depends on besides the key itself. */
export interface PressRules {
  dialect: Dialect;
  /** The PBX's SIP domain, where a dial-code is dialled. */
  domain: string;
  /** Actions for every key (config `actions`); a key's own come first. */
  actions: KeyActionConfig;
  /** The pickup order and code of the config, the ones the partner views were planned with. */
  pickup: PickupOptions;
  /** Whether a desk phone is configured (`phone.uri`): without one, nothing can be called. */
  deskPhone: boolean;
  /** Where the PBX is: the URIs the desk phone calls reach it on its port (uri.ts `onPbxPort`). */
  pbx: PbxPlace;
}

/** What a press makes the desk phone call. */
export type CallAction = 'dial' | 'dial-code' | 'pickup';
export type PressAction = CallAction | 'transfer';

export type PressFailureCode = 'no-desk-phone' | 'not-ringing' | 'no-pickup-method' | 'no-call';

export type PressPlan =
  /** The key does nothing in this state with this gesture (config `actions`). */
  | { kind: 'none' }
  /**
   * The desk phone is to call `target` (for a pickup: `pickup`, then each of `fallbacks` in turn when
   * the call to one fails, RFC 5359 §2.16's methods in the configured order).
   */
  | {
      kind: 'call';
      action: CallAction;
      target: string;
      pickup: PickupTarget | null;
      fallbacks: PickupTarget[];
    }
  /** The desk phone's call in progress (`call`) is to be transferred to `target` (RFC 5589). */
  | { kind: 'transfer'; action: 'transfer'; target: string; call: DeskCall }
  | { kind: 'refused'; action: PressAction; code: PressFailureCode; reason: string };

/** The partner as the press sees it: its state now and the view it was read from. */
export interface PressedPartner {
  state: LampSituation;
  view: PartnerView | null;
}

/** `desk`: the desk phone's call in progress (desk-phone-calls.ts), null when it is not in one. */
export function planPress(
  key: KeyConfig,
  gesture: Gesture,
  partner: PressedPartner,
  rules: PressRules,
  desk: DeskCall | null = null,
): PressPlan {
  const action = keyAction(partner.state, gesture, { ...rules.actions, ...key.actions }, desk != null);
  if (action.kind === 'none') return { kind: 'none' };
  const refused = (code: PressFailureCode, reason: string): PressPlan => ({
    kind: 'refused',
    action: action.kind,
    code,
    reason,
  });
  if (!rules.deskPhone) return refused('no-desk-phone', 'no desk phone configured (phone.uri)');
  switch (action.kind) {
    case 'transfer':
      if (desk == null) return refused('no-call', 'the desk phone is not in a call');
      return { kind: 'transfer', action: 'transfer', target: onPbxPort(key.partner, rules.pbx), call: desk };
    case 'dial':
      return {
        kind: 'call',
        action: 'dial',
        target: onPbxPort(key.partner, rules.pbx),
        pickup: null,
        fallbacks: [],
      };
    case 'dial-code': {
      const number = uriUser(key.partner) ?? '';
      const target = onPbxPort(
        `sip:${action.code.replaceAll('{number}', number)}@${rules.domain}`,
        rules.pbx,
      );
      return { kind: 'call', action: 'dial-code', target, pickup: null, fallbacks: [] };
    }
    case 'pickup': {
      const dialog = partner.view?.focus;
      if (partner.state !== 'ringing' || dialog == null)
        return refused('not-ringing', 'the partner is not ringing any more');
      const plan =
        key.pickup == null
          ? partner.view?.pickup
          : planPickup(dialog, key.partner, rules.dialect, { ...rules.pickup, order: key.pickup });
      if (plan == null) return refused('not-ringing', 'the partner is not ringing any more');
      if (!plan.ok) return refused('no-pickup-method', plan.reason);
      const onPbx = (target: PickupTarget) => ({ ...target, uri: onPbxPort(target.uri, rules.pbx) });
      const pickup = onPbx(plan.target);
      const fallbacks = plan.fallbacks.map(onPbx);
      return { kind: 'call', action: 'pickup', target: pickupUri(pickup), pickup, fallbacks };
    }
  }
}

/** What a press came to: the plan, and for a call, how the desk phone's call went. */
export type PressOutcome = PressPlan | { kind: 'failed'; action: PressAction; reason: string };

/** The partner as the page and its list of presses name them: the key's label, else their number. */
export function partnerName(key: KeyConfig): string {
  return key.label ?? uriUser(key.partner) ?? key.partner;
}

/** What the partner's state is called in "nothing to do while … is …". */
const STATE_WORDS: Readonly<Record<LampSituation, string>> = {
  idle: 'idle',
  ringing: 'ringing',
  calling: 'calling out',
  busy: 'busy',
  held: 'holding a call',
  offline: 'offline (no phone registered)',
  unknown: 'not known yet',
  refused: 'not watched (the PBX refused)',
  error: 'in error',
};

/**
 * A press in words, as the page shows it on the key and in its list of recent presses: while the desk
 * phone's call is under way (`outcome` null) and once it has gone as far as it goes. `caller` is who
 * called the partner when the key was pressed (dialog-intake.ts `callerOf`).
 */
export function pressWords(
  key: KeyConfig,
  state: LampSituation,
  caller: string | null,
  outcome: PressOutcome,
  finished: boolean,
): Pick<PressReport, 'stage' | 'text'> {
  const name = partnerName(key);
  const from = caller == null ? '' : ` from ${caller}`;
  switch (outcome.kind) {
    case 'none':
      return { stage: 'nothing', text: `nothing to do while ${name} is ${STATE_WORDS[state]}` };
    case 'refused':
    case 'failed':
      return { stage: 'failed', text: `failed: ${outcome.reason}` };
    case 'transfer': {
      const whose = outcome.call.peerName == null ? 'the call' : `${outcome.call.peerName}'s call`;
      return finished
        ? { stage: 'done', text: `transferred ${whose} to ${name}` }
        : { stage: 'started', text: `transferring ${whose} to ${name}` };
    }
    case 'call': {
      const words = {
        dial: finished ? `called ${name}` : `calling ${name}`,
        'dial-code': finished
          ? `called ${name} by ${uriUser(outcome.target) ?? outcome.target}`
          : `calling ${name} by ${uriUser(outcome.target) ?? outcome.target}`,
        pickup: finished ? `picked up ${name}'s call${from}` : `picking up ${name}'s call${from}`,
      } satisfies Record<CallAction, string>;
      return { stage: finished ? 'done' : 'started', text: words[outcome.action] };
    }
  }
}

/**
 * What a pickup's call may fail with that the next method may not (RFC 5359 §2.16): the caller's URI
 * unknown (404), its dialog not found (481), the caller declining the Replaces (603).
 */
const FALL_THROUGH = new Set([404, 481, 603]);

/** How often a flood of presses is said in the log, at most. */
const FLOOD_SAID_EVERY_MS = 10_000;

/** What carries a plan out: the desk phone (desk-phone.ts), or a fake in tests. */
export interface PressCalls {
  /** Makes the desk phone call `target` (call-control.ts). */
  call(target: CallTarget): Promise<CallOutcome>;
  /** Transfers the desk phone's call in progress to `target`. */
  transfer(target: string, call: DeskCall): Promise<CallOutcome>;
  /** The desk phone's call in progress, null when it is not in one (desk-phone-calls.ts). */
  inCall(): DeskCall | null;
  /** The desk phone's URI when its own dialogs are watched (`phone.watch`), else null. */
  readonly watched: string | null;
}

/** Without a desk phone, planPress refuses every press (rules.deskPhone): nothing is ever called. */
const NO_CALL: CallOutcome = {
  ok: false,
  reason: 'no desk phone configured (phone.uri)',
  stage: 'desk-phone',
  status: null,
};
const NO_DESK_PHONE: PressCalls = {
  call: () => Promise.resolve(NO_CALL),
  transfer: () => Promise.resolve(NO_CALL),
  inCall: () => null,
  watched: null,
};

export interface KeyPressSetup {
  keys: readonly KeyConfig[];
  /** The rules of every key's press; the dialect is read from `dialect` at each press. */
  rules: Omit<PressRules, 'dialect' | 'deskPhone'>;
  dialect: ChosenDialect;
  /** The desk phone; null when none is configured (every press is then refused). */
  calls: PressCalls | null;
  /** What is known of each partner (partner-lamps.ts), and the key's error lamp. */
  lamps: Pick<PartnerLamps, 'partner' | 'flashError' | 'until'>;
  /** How long a failed press flashes its key's error lamp (config `errorFlashMs`). */
  errorFlashMs: number;
  clock: Clock;
  log: Logger;
  /** Hears each press and what became of it (the status page). */
  viewer?: Pick<KeyViewer, 'pressShown'> | undefined;
}

/**
 * Key presses, from a panel's key events to what became of them: the gesture (GestureTracker), the gate
 * against floods (PressGate), the plan (planPress), the desk phone's call with a pickup's fall-through
 * to its next method, and the outcome (the error lamp and one log line when it failed; the page's list).
 */
export class KeyPresses {
  private byKey: ReadonlyMap<number, KeyConfig>;
  private readonly gestures = new GestureTracker();
  private readonly gate = new PressGate();
  private floodSaidAt = Number.NEGATIVE_INFINITY;
  private pressCount = 0;
  private readonly calls: PressCalls;

  constructor(private readonly setup: KeyPressSetup) {
    this.byKey = new Map(setup.keys.map((key) => [key.key, key]));
    this.calls = setup.calls ?? NO_DESK_PHONE;
  }

  /** The config's keys changed: presses from now on act on these (one under way goes on as it began). */
  setKeys(keys: readonly KeyConfig[]): void {
    this.byKey = new Map(keys.map((key) => [key.key, key]));
  }

  /** A key event of the panel: a finished gesture on a configured key is pressed, unless presses flood. */
  event(event: PanelKeyEvent): void {
    const gesture = this.gestures.event(event.key, event.event);
    if (gesture != null) this.pressThroughGate(event.key, gesture);
  }

  /**
   * A press from elsewhere than the panel (the status page's, `web.control`), through the same gate as
   * the panel's own: one press per key at a time, a flood said once.
   */
  pressThroughGate(number: number, gesture: Gesture): void {
    const key = this.byKey.get(number);
    if (key == null) return;
    const { clock, log } = this.setup;
    if (!this.gate.admit(key.key, clock.now())) {
      if (clock.now() - this.floodSaidAt > FLOOD_SAID_EVERY_MS) {
        this.floodSaidAt = clock.now();
        log.warn(`key ${key.key}: presses come faster than lampfield carries them out; some are ignored`);
      }
      return;
    }
    void this.pressKey(key, gesture).finally(() => this.gate.done(key.key));
  }

  /** Presses a key as its panel would; resolves when the desk phone's call has gone as far as it goes. */
  press(number: number, gesture: Gesture): Promise<PressOutcome> {
    const key = this.byKey.get(number);
    return key == null ? Promise.resolve({ kind: 'none' }) : this.pressKey(key, gesture);
  }

  private async pressKey(key: KeyConfig, gesture: Gesture): Promise<PressOutcome> {
    const update = this.setup.lamps.partner(key.partner);
    const state = update?.situation ?? 'unknown';
    const caller = update == null ? null : callerOf(update.view);
    // The page lists each press and what became of it (src/web); the same id when it ends.
    const id = ++this.pressCount;
    const report = (outcome: PressOutcome, finished: boolean) =>
      this.setup.viewer?.pressShown?.({
        id,
        key: key.key,
        ...pressWords(key, state, caller, outcome, finished),
      });
    const outcome = await this.carryOut(key, gesture, { state, view: update?.view ?? null }, report);
    report(outcome, true);
    return outcome;
  }

  private async carryOut(
    key: KeyConfig,
    gesture: Gesture,
    partner: PressedPartner,
    report: (outcome: PressOutcome, finished: boolean) => void,
  ): Promise<PressOutcome> {
    const { log } = this.setup;
    const rules = {
      ...this.setup.rules,
      dialect: this.setup.dialect.current,
      deskPhone: this.setup.calls != null,
    };
    const plan = planPress(key, gesture, partner, rules, this.calls.inCall());
    if (plan.kind === 'none') return plan;
    const failed = (reason: string): PressOutcome => {
      log.warn(`key ${key.key}: ${plan.action} ${key.partner} failed: ${reason}`);
      this.setup.lamps.flashError(key.key, this.setup.errorFlashMs);
      return plan.kind === 'refused' ? plan : { kind: 'failed', action: plan.action, reason };
    };
    if (plan.kind === 'refused') return failed(plan.reason);
    log.info(`key ${key.key}: ${plan.action} ${key.partner}`, { target: plan.target });
    report(plan, false);
    const outcome =
      plan.kind === 'transfer'
        ? await this.calls.transfer(plan.target, plan.call)
        : await this.call(key, plan);
    if (outcome.ok) return plan;
    if (outcome.askTheCalls === true && (await this.callsSayItWorked(key, plan))) {
      log.info(
        `key ${key.key}: ${plan.action} ${key.partner} went through, as the calls show, though the PBX ended it ${outcome.status ?? ''} (which it sends whatever became of the call)`,
      );
      return plan;
    }
    return failed(outcome.reason);
  }

  /** call-evidence.ts: whether the calls show that a press went through where the PBX does not say. */
  private callsSayItWorked(
    key: KeyConfig,
    plan: Exclude<PressPlan, { kind: 'none' | 'refused' }>,
  ): Promise<boolean> {
    // After a transfer the desk phone is out of the call: only the partner's state tells.
    const desk = plan.kind === 'transfer' ? null : this.calls.watched;
    return callsShowItWorked(
      plan.action === 'pickup' ? 'pickup' : 'reach',
      key.partner,
      desk,
      this.setup.lamps,
    );
  }

  /** The plan's call: a pickup tries its methods in order while the call to one fails as a method can (BRIEF §4). */
  private async call(key: KeyConfig, plan: Extract<PressPlan, { kind: 'call' }>): Promise<CallOutcome> {
    const pickups = plan.pickup == null ? [] : [plan.pickup, ...plan.fallbacks];
    const tries: CallTarget[] = pickups.length > 0 ? pickups : [{ uri: plan.target, replaces: null }];
    for (let index = 0; ; index++) {
      const outcome = await this.calls.call(tries[index]!);
      const next = pickups[index + 1];
      if (outcome.ok || next == null || outcome.stage !== 'target' || !FALL_THROUGH.has(outcome.status ?? 0))
        return outcome;
      const method = pickups[index]!.method;
      this.setup.log.info(
        `key ${key.key}: pickup by ${method} failed (${outcome.reason}); trying ${next.method}`,
      );
    }
  }
}
