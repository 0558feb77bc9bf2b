/**
 * One subscription for a whole panel (RFC 4662, `pbx.list`): a SUBSCRIBE to the PBX's resource list,
 * whose NOTIFYs carry every partner's state (src/blf/resource-list-intake.ts reads them). A partner
 * reads as the list subscription's state, then as the list's word on its resource (partner-watch.ts has
 * what every way of watching shares).
 */
import type { PartnerView } from '../blf/dialog-intake.ts';
import type { ResourceListIntake } from '../blf/resource-list-intake.ts';
import { partnerUpdate, type PartnerUpdate, type SubscriptionState } from './partner-update.ts';
import { SubscriptionSet, type WatchOptions } from './partner-watch.ts';
import { Subscription } from './subscription.ts';
import type { UserAgent } from './user-agent.ts';

/**
 * How long listed resources may stay without state (no instance yet, or pending) before the list is
 * asked for them again by a refresh, doubling to the longest. Kamailio's rls, splitting a large list
 * into several NOTIFYs (max_notify_body_length), has been seen to leave a few resources out for good
 * until the next SUBSCRIBE; a refresh makes it send every resource again.
 */
const LIST_STATE_WAIT_MS = 10_000;
const LIST_STATE_WAIT_MAX_MS = 600_000;

/** Reasons of a terminated resource instance that mean the PBX will not give its state (RFC 6665 §4.2.2). */
const INSTANCE_REFUSED = new Set(['rejected', 'noresource', 'deactivated', 'giveup']);

export class ResourceListSubscription extends SubscriptionSet {
  private readonly list: Subscription;
  /** What the list's NOTIFYs said: the state of each resource and each partner's documents. */
  private readonly intake: ResourceListIntake;
  private readonly partners: readonly string[];
  /** Each partner as the list's parts last gave it: read again only when a part about it came. */
  private readonly views = new Map<string, PartnerView>();
  private notAListSaid = false;
  /** Partners the list was found not to hold, each said once (until the list holds them again). */
  private readonly absentSaid = new Set<string>();
  private cancelListCheck: (() => void) | null = null;
  private listWaitMs = LIST_STATE_WAIT_MS;

  constructor(
    ua: UserAgent,
    /** The list's URI (`pbx.list`). */
    private readonly uri: string,
    partners: readonly string[],
    options: WatchOptions & { intake: ResourceListIntake },
    onUpdate: (update: PartnerUpdate) => void,
  ) {
    super(ua, options, onUpdate);
    this.intake = options.intake;
    this.partners = [...new Set(partners)];
    this.list = new Subscription(uri, this.context);
    this.subscriptions.set(uri, this.list);
    for (const partner of this.partners) this.views.set(partner, this.intake.view(partner));
  }

  update(partner: string): PartnerUpdate | null {
    return this.views.has(partner) ? this.partnerUpdate(partner) : null;
  }

  override reread(): void {
    for (const partner of this.partners) this.views.set(partner, this.intake.view(partner));
    super.reread();
  }

  override async stop(): Promise<void> {
    this.cancelListCheck?.();
    await super.stop();
  }

  /** After each NOTIFY (or change of the list's state): every partner's update, the changed ones read again. */
  protected report(): void {
    for (const [partner, view] of this.intake.takeApplied())
      if (this.views.has(partner)) this.views.set(partner, view);
    const { notAList } = this.intake;
    if (notAList && !this.notAListSaid)
      this.options.log.warn('the PBX serves no resource list at pbx.list: every key shows refused', {
        list: this.uri,
      });
    this.notAListSaid = notAList;
    for (const partner of this.partners) {
      this.tell(this.partnerUpdate(partner));
      this.sayIfAbsent(partner);
    }
    this.watchListState();
  }

  /** A partner of the config the list does not hold: its key shows refused, and the log says why, once. */
  private sayIfAbsent(partner: string): void {
    const absent =
      this.list.state.status === 'active' &&
      !this.intake.notAList &&
      this.intake.resource(partner).kind === 'absent';
    if (!absent) {
      this.absentSaid.delete(partner);
      return;
    }
    if (this.absentSaid.has(partner)) return;
    this.absentSaid.add(partner);
    this.options.log.warn(`${partner} is not in the resource list ${this.uri}: its key shows refused`, {
      partner,
      list: this.uri,
    });
  }

  /** A partner watched through the list: the list subscription's state, then the list's word on it. */
  private partnerUpdate(partner: string): PartnerUpdate {
    const view = this.views.get(partner)!;
    const without = (state: SubscriptionState) => partnerUpdate(partner, state, view);
    const whole = this.list.state;
    if (whole.status !== 'active')
      return without({ ...whole, reason: `resource list ${this.uri}: ${whole.reason}` });
    if (this.intake.notAList)
      return without({ status: 'refused', reason: `the PBX serves no resource list at ${this.uri}` });
    const resource = this.intake.resource(partner);
    switch (resource.kind) {
      case 'active':
        return partnerUpdate(partner, { status: 'active' }, view);
      case 'absent':
        return without({ status: 'refused', reason: `not in the resource list ${this.uri}` });
      case 'unknown':
      case 'pending':
        return without({ status: 'pending', reason: `the list ${this.uri} has no state for it yet` });
      case 'terminated': {
        const reason = `the list's subscription to it ended (${resource.reason ?? 'no reason'})`;
        const refused = INSTANCE_REFUSED.has(resource.reason ?? '');
        return without({ status: refused ? 'refused' : 'lost', reason });
      }
    }
  }

  /** The partners the active list has given no state yet (none while the list itself is not active). */
  private waiting(): string[] {
    if (this.list.state.status !== 'active') return [];
    return this.partners.filter((partner) =>
      ['pending', 'unknown'].includes(this.intake.resource(partner).kind),
    );
  }

  /** Resources the active list leaves without state for a while are asked for again (a refresh). */
  private watchListState(): void {
    if (this.waiting().length === 0) {
      this.cancelListCheck?.();
      this.cancelListCheck = null;
      this.listWaitMs = LIST_STATE_WAIT_MS;
      return;
    }
    if (this.cancelListCheck != null || this.stopped) return;
    this.cancelListCheck = this.options.clock.after(this.listWaitMs, () => {
      this.cancelListCheck = null;
      const still = this.waiting();
      if (still.length === 0) return;
      this.options.log.info('the resource list still gives no state for some partners; asking it again', {
        list: this.uri,
        partners: still.length,
      });
      this.listWaitMs = Math.min(LIST_STATE_WAIT_MAX_MS, this.listWaitMs * 2);
      this.list.ask();
    });
  }
}
