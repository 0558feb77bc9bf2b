/**
 * A key press, as a unit (BRIEF §4): the partner's state and the gesture pick the key's action
 * (src/blf/key-actions.ts), and the action becomes the call the desk phone is to make: the partner for a
 * dial, the code with the partner's number for a dial-code, the pickup's URI for a pickup. Or it
 * becomes the reason it cannot be made. Every URI the phone is to call names the PBX's port when it is
 * on the PBX (uri.ts `onPbxPort`). No I/O: src/app/watcher.ts carries the plan out.
 *
 * The pickup is planned once: the partner's view (src/blf/dialog-watcher.ts) carries the plan made with
 * the config's pickup order and code, the same one `lampfield decode` prints. Only a key with a pickup
 * order of its own (`keys[].pickup`) plans again, with that order.
 */
import type { DeskCall } from '../blf/desk-phone-calls.ts';
import type { Dialect } from '../blf/dialects.ts';
import type { PartnerView } from '../blf/dialog-watcher.ts';
import { keyAction, type Gesture, type KeyActionConfig } from '../blf/key-actions.ts';
import type { LampSituation } from '../blf/lamp-policy.ts';
import { pickupUri, planPickup, type PickupOptions, type PickupTarget } from '../blf/pickup.ts';
import { onPbxPort, uriUser, type PbxPlace } from '../blf/uri.ts';
import type { KeyConfig } from '../config/config.ts';
import type { PressReport } from '../panel/panel.ts';

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
 * called the partner when the key was pressed (dialog-watcher.ts `callerOf`).
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
