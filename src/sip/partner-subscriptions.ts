/**
 * The subscriptions to every partner (RFC 6665) for one event package — dialog (RFC 4235), or reg
 * (RFC 3680) beside it where `pbx.registrations` asks — or the one subscription to a resource list that
 * holds them all (RFC 4662, `pbx.list`), kept alive for months: paced at
 * start, refreshed before expiry, re-made after 481, timeouts and PBX restarts, and never trusted
 * beyond what the PBX has confirmed: a partner whose subscription is pending, lost, expired or refused
 * reads `unknown` (or `refused`), never a stale `idle` (BRIEF §10).
 *
 * Each partner's subscription is a Subscription (subscription.ts, with its state diagram). This is the
 * set of them: NOTIFYs routed to theirs by dialog (or, from the PBX, by the From that names the partner,
 * for dialects that send them unsolicited), SUBSCRIBEs paced, the PBX's silence (told by
 * pbx-keepalive.ts through `pbxGone` and `pbxBack`) passed to every one, and each change reported once.
 */
import type { PartnerView } from '../blf/dialog-watcher.ts';
import type { ResourceState } from '../blf/resource-list-watcher.ts';
import { partnerNamedBy } from '../blf/uri.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { tagOf } from './message.ts';
import type { IncomingRequest } from './stack.ts';
import { Pacer } from './subscribe-pacer.ts';
import {
  Subscription,
  type NotifyIntake,
  type PartnerUpdate,
  type SubscriptionContext,
} from './subscription.ts';
import type { UserAgent } from './user-agent.ts';

export type { PartnerUpdate, SubscriptionStatus } from './subscription.ts';

export interface SubscriptionOptions {
  /** Where every NOTIFY is read (one per watcher, shared with nothing that keeps other partners). */
  intake: NotifyIntake;
  clock: Clock;
  log: Logger;
  /** Requested subscription duration, seconds (RFC 6665 §4.1.2.1). */
  expires: number;
  /** New SUBSCRIBEs per second at most, so that a PBX is never flooded at start. */
  subscribeRate: number;
  /** The PBX's IP address: the only source of unsolicited NOTIFYs (dialects that send them). */
  pbxAddress: string;
  /** Give up on an unanswered request after this long (default 8 s). */
  requestTimeoutMs?: number;
  /** Retry a refused subscription after this long (default 10 min). */
  refusedRetryMs?: number;
  /** 0..1, for backoff jitter; injectable for tests. */
  random?: () => number;
  /** A pacer shared with another set of subscriptions to the same PBX (one rate for all SUBSCRIBEs). */
  pacer?: Pacer;
  /** Log each refused subscription at debug level only (the caller says it once). */
  quietRefusals?: boolean;
  /**
   * One subscription to a resource list instead of one per partner (RFC 4662): its URI, and what the
   * list says of each partner (the intake, src/blf/resource-list-watcher.ts, reads its NOTIFYs).
   */
  list?: { uri: string; state: ResourceListState };
}

/** What a list's NOTIFYs said (resource-list-watcher.ts). */
export interface ResourceListState {
  resource(partner: string): ResourceState;
  /** The PBX answered with one resource's document: it serves no list at that URI. */
  readonly notAList: boolean;
}

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

export class PartnerSubscriptions {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly byCallId = new Map<string, Subscription>();
  private readonly reported = new Map<string, string>();
  private readonly partners: readonly string[];
  private readonly watched: ReadonlySet<string>;
  private notAListSaid = false;
  private cancelListCheck: (() => void) | null = null;
  private listWaitMs = LIST_STATE_WAIT_MS;
  private readonly pacer: Pacer;
  private stopped = false;

  constructor(
    ua: UserAgent,
    partners: readonly string[],
    private readonly options: SubscriptionOptions,
    private readonly onUpdate: (update: PartnerUpdate) => void,
  ) {
    this.pacer = options.pacer ?? new Pacer(options.subscribeRate, options.clock);
    const context: SubscriptionContext = {
      ua,
      intake: options.intake,
      clock: options.clock,
      log: options.log,
      pacer: this.pacer,
      expires: options.expires,
      requestTimeoutMs: options.requestTimeoutMs ?? 8000,
      refusedRetryMs: options.refusedRetryMs ?? 600_000,
      random: options.random ?? Math.random,
      quietRefusals: options.quietRefusals ?? false,
      route: (callId, subscription) => {
        if (subscription == null) this.byCallId.delete(callId);
        else this.byCallId.set(callId, subscription);
      },
      changed: (subscription) => this.report(subscription),
      stopped: () => this.stopped,
    };
    this.watched = new Set(partners);
    this.partners = [...this.watched];
    const subscribed = options.list == null ? this.partners : [options.list.uri];
    for (const uri of subscribed) this.subscriptions.set(uri, new Subscription(uri, context));
  }

  start(): void {
    for (const subscription of this.subscriptions.values()) {
      this.report(subscription);
      subscription.ask();
    }
  }

  /** The current state of one partner (null for a partner not watched). */
  update(partner: string): PartnerUpdate | null {
    const { list } = this.options;
    if (list == null) return this.subscriptions.get(partner)?.describe() ?? null;
    return this.watched.has(partner) ? this.listUpdate(partner, list) : null;
  }

  /** A partner watched through the list: the list subscription's state, then the list's word on it. */
  private listUpdate(partner: string, list: NonNullable<SubscriptionOptions['list']>): PartnerUpdate {
    const whole = this.subscriptions.get(list.uri)!.describe();
    const view = this.options.intake.view(partner);
    const without = (status: PartnerUpdate['status'], reason: string): PartnerUpdate => ({
      partner,
      status,
      situation: status === 'refused' ? 'refused' : 'unknown',
      view: unknownView(view),
      reason,
    });
    if (whole.status !== 'active')
      return without(whole.status, `resource list ${list.uri}: ${whole.reason ?? ''}`);
    if (list.state.notAList) return without('refused', `the PBX serves no resource list at ${list.uri}`);
    const resource = list.state.resource(partner);
    switch (resource.kind) {
      case 'active':
        return { partner, status: 'active', situation: view.state, view, reason: null };
      case 'absent':
        return without('refused', `not in the resource list ${list.uri}`);
      case 'unknown':
      case 'pending':
        return without('pending', `the list ${list.uri} has no state for it yet`);
      case 'terminated': {
        const refused = INSTANCE_REFUSED.has(resource.reason ?? '');
        return without(
          refused ? 'refused' : 'lost',
          `the list's subscription to it ended (${resource.reason ?? 'no reason'})`,
        );
      }
    }
  }

  /** Takes NOTIFY requests (one outside every subscription is answered 481); false for any other request. */
  handleRequest(request: IncomingRequest): boolean {
    if (request.message.method !== 'NOTIFY') return false;
    if (this.claim(request)) return true;
    const { message, remote } = request;
    this.options.log.debug('NOTIFY outside any subscription, answered 481', {
      from: message.headers.from?.uri,
      source: `${remote.address}:${remote.port}`,
    });
    request.respond(481);
    return true;
  }

  /** Takes a NOTIFY of one of these subscriptions (or unsolicited, naming a partner); false for any other. */
  claim(request: IncomingRequest): boolean {
    if (request.message.method !== 'NOTIFY') return false;
    const { message, remote } = request;
    // BRIEF §10: the PBX is the only notifier. A NOTIFY from anywhere else is no NOTIFY of ours, even
    // one that names a live subscription's Call-ID and tags (anyone on the network can copy those).
    const fromPbx = remote.address === this.options.pbxAddress;
    const subscription = this.byCallId.get(message.headers['call-id'] ?? '');
    if (fromPbx && subscription?.owns(message.headers['call-id'] ?? '', tagOf(message.headers.to)) === true) {
      subscription.notify(request);
      return true;
    }
    if (fromPbx && this.options.intake.unsolicited) {
      const named = partnerNamedBy(
        message.headers.from?.uri ?? null,
        this.subscriptions.keys(),
        this.options.pbxAddress,
      );
      if (named != null) {
        this.subscriptions.get(named)!.notifyUnsolicited(request);
        return true;
      }
    }
    return false;
  }

  /** The PBX stopped answering (pbx-keepalive.ts): no partner's state can be trusted until it is back. */
  pbxGone(): void {
    for (const subscription of this.subscriptions.values()) subscription.pbxGone();
  }

  /** The PBX answers again, perhaps as a new process that knows no subscription: refresh every one. */
  pbxBack(): void {
    for (const subscription of this.subscriptions.values()) subscription.ask();
  }

  /** Ends every subscription (SUBSCRIBE with Expires: 0, RFC 6665 §4.1.2.3) and stops all timers. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelListCheck?.();
    this.pacer.stop();
    await Promise.all([...this.subscriptions.values()].map((subscription) => subscription.end()));
  }

  /** Tells each partner's update that the subscription's news changed, once per change its keys could show. */
  private report(subscription: Subscription): void {
    const { list } = this.options;
    if (list == null) {
      this.tell(subscription.describe());
      return;
    }
    if (list.state.notAList && !this.notAListSaid)
      this.options.log.warn('the PBX serves no resource list at pbx.list: every key shows refused', {
        list: list.uri,
      });
    this.notAListSaid = list.state.notAList;
    for (const partner of this.partners) this.tell(this.listUpdate(partner, list));
    this.watchListState(list);
  }

  /** Resources the active list leaves without state for a while are asked for again (a refresh). */
  private watchListState(list: NonNullable<SubscriptionOptions['list']>): void {
    const subscription = this.subscriptions.get(list.uri)!;
    /** The partners the active list has given no state yet (none while the list itself is not active). */
    const waiting = () =>
      subscription.state.status !== 'active'
        ? []
        : this.partners.filter((partner) =>
            ['pending', 'unknown'].includes(list.state.resource(partner).kind),
          );
    if (waiting().length === 0) {
      this.cancelListCheck?.();
      this.cancelListCheck = null;
      this.listWaitMs = LIST_STATE_WAIT_MS;
      return;
    }
    if (this.cancelListCheck != null || this.stopped) return;
    this.cancelListCheck = this.options.clock.after(this.listWaitMs, () => {
      this.cancelListCheck = null;
      const still = waiting();
      if (still.length === 0) return;
      this.options.log.info('the resource list still gives no state for some partners; asking it again', {
        list: list.uri,
        partners: still.length,
      });
      this.listWaitMs = Math.min(LIST_STATE_WAIT_MAX_MS, this.listWaitMs * 2);
      subscription.ask();
    });
  }

  private tell(update: PartnerUpdate): void {
    const key = JSON.stringify([
      update.status,
      update.situation,
      update.view.pickup,
      update.view.dialogs.length,
    ]);
    if (key === this.reported.get(update.partner)) return;
    this.reported.set(update.partner, key);
    this.onUpdate(update);
  }
}

function unknownView(view: PartnerView): PartnerView {
  return { ...view, state: 'unknown', pickup: null };
}
