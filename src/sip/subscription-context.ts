/**
 * What a subscription (subscription.ts) is given: the intake its NOTIFYs are read by, and what every
 * subscription of one watcher shares (partner-watch.ts makes it).
 */
import type { NotifyParts } from '../blf/dialog-notify.ts';
import type { NotifyResult, PartnerView } from '../blf/dialog-intake.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { Pacer } from './subscribe-pacer.ts';
import type { EventPackage } from './subscription-rules.ts';
import type { UserAgent } from './user-agent.ts';

/**
 * What reads a subscription's NOTIFYs into partner state: the DialogIntake (src/blf/dialog-intake.ts)
 * for the dialog package, the RegIntake (src/blf/reginfo.ts) for reg.
 */
export interface NotifyIntake {
  readonly event: EventPackage;
  /** Whether the PBX sends this package's NOTIFYs without a subscription (innovaphone's dialog ones). */
  readonly unsolicited: boolean;
  notify(parts: NotifyParts, partner: string | null): NotifyResult;
  view(partner: string | null): PartnerView;
}

/** What every subscription (`S`: subscription.ts's Subscription) of one watcher shares. */
export interface SubscriptionContext<S> {
  ua: UserAgent;
  intake: NotifyIntake;
  clock: Clock;
  log: Logger;
  pacer: Pacer;
  /** Requested duration, seconds (RFC 6665 §4.1.2.1); raised for all by a 423's Min-Expires. */
  expires: number;
  requestTimeoutMs: number;
  refusedRetryMs: number;
  random: () => number;
  /** Refusals are logged at debug level: whoever set these subscriptions up says it once (reg, watcher.ts). */
  quietRefusals: boolean;
  /** NOTIFYs with this Call-ID are this subscription's from now on (null: no longer). */
  route(callId: string, subscription: S | null): void;
  /** The subscription's state or its partner's may have changed. */
  changed(subscription: S): void;
  stopped(): boolean;
}
