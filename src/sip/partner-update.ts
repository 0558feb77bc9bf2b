/**
 * What lampfield knows of one partner, as its subscription (or the resource list holding it) tells it:
 * the state the PBX has confirmed of the subscription (RFC 6665 §4.1) and the partner's state read from
 * its NOTIFYs (the intake's view). A partner whose subscription is not active reads `unknown` (or
 * `refused`), never a stale `idle` (BRIEF §10). Pure.
 */
import type { PartnerView } from '../blf/dialog-intake.ts';
import type { LampSituation } from '../blf/lamp-policy.ts';
import { samePickupPlan } from '../blf/pickup.ts';

/** What the PBX has confirmed of one partner's subscription (subscription.ts has the diagram). */
export type SubscriptionState =
  | { status: 'pending'; reason: string }
  | { status: 'active' }
  | { status: 'lost'; reason: string }
  | { status: 'refused'; reason: string };
export type SubscriptionStatus = SubscriptionState['status'];

export interface PartnerUpdate {
  partner: string;
  status: SubscriptionStatus;
  /** What the keys show: the partner's state while the subscription is active. */
  situation: LampSituation;
  view: PartnerView;
  /** Why the subscription is not active, for the log and the status page. */
  reason: string | null;
}

/** The partner as `view` reads it, while the subscription is in `state`. */
export function partnerUpdate(partner: string, state: SubscriptionState, view: PartnerView): PartnerUpdate {
  if (state.status === 'active')
    return { partner, status: 'active', situation: view.state, view, reason: null };
  return {
    partner,
    status: state.status,
    situation: state.status === 'refused' ? 'refused' : 'unknown',
    view: { ...view, state: 'unknown', pickup: null },
    reason: state.reason,
  };
}

/**
 * Whether an update tells nothing new that a key could show: the same subscription status, state,
 * pickup plan and number of dialogs. Each change is reported once; a refresh's NOTIFY that repeats the
 * state is not.
 */
export function sameUpdate(a: PartnerUpdate | undefined, b: PartnerUpdate): boolean {
  return (
    a != null &&
    a.status === b.status &&
    a.situation === b.situation &&
    a.view.dialogs.length === b.view.dialogs.length &&
    samePickupPlan(a.view.pickup, b.view.pickup)
  );
}
