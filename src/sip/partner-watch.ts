/**
 * How lampfield watches its partners on the PBX for one event package — dialog (RFC 4235), or reg
 * (RFC 3680) beside it where `pbx.registrations` asks — kept alive for months: SUBSCRIBEs paced at
 * start, refreshed before expiry, re-made after 481, timeouts and PBX restarts, and never trusted beyond
 * what the PBX has confirmed (partner-update.ts).
 *
 * Two ways, behind one interface (PartnerWatch): a subscription per partner (partner-subscriptions.ts),
 * or one subscription to a resource list that holds them all (RFC 4662, `pbx.list`,
 * resource-list-subscription.ts). Each subscription is a Subscription (subscription.ts, with its state
 * diagram); what they share is here, in SubscriptionSet: NOTIFYs routed to theirs by dialog, the PBX's
 * silence (told by pbx-keepalive.ts through `pbxGone` and `pbxBack`) passed to every one, and each
 * change of a partner reported once.
 */
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { tagOf } from './message.ts';
import { sameUpdate, type PartnerUpdate } from './partner-update.ts';
import type { IncomingRequest } from './stack.ts';
import { Pacer } from './subscribe-pacer.ts';
import type { NotifyIntake, SubscriptionContext } from './subscription-context.ts';
import type { Subscription } from './subscription.ts';
import type { UserAgent } from './user-agent.ts';

/** The partners of one event package, however they are subscribed to. */
export interface PartnerWatch {
  /** Subscribes (paced), after reporting every partner as not known yet. */
  start(): void;
  /** What is known of one partner now, as last reported (null for a partner not watched). */
  update(partner: string): PartnerUpdate | null;
  /** Whether the request is a NOTIFY that one of these subscriptions takes. Looks, changes nothing. */
  owns(request: IncomingRequest): boolean;
  /** Takes a NOTIFY of one of these subscriptions; false for any other request. */
  claim(request: IncomingRequest): boolean;
  /** Takes every NOTIFY: one outside these subscriptions is answered 481; false for any other request. */
  handleRequest(request: IncomingRequest): boolean;
  /** The PBX stopped answering (pbx-keepalive.ts): no partner's state can be trusted until it is back. */
  pbxGone(): void;
  /** The PBX answers again, perhaps as a new process that knows no subscription: refresh every one. */
  pbxBack(): void;
  /** The intake reads NOTIFYs another way now (`pbx.dialect: auto` chose): every partner read again. */
  reread(): void;
  /** Ends every subscription (SUBSCRIBE with Expires: 0, RFC 6665 §4.1.2.3) and stops all timers. */
  stop(): Promise<void>;
}

export interface WatchOptions {
  /** Where every NOTIFY is read (one per watcher, shared with nothing that keeps other partners). */
  intake: NotifyIntake;
  clock: Clock;
  log: Logger;
  /** Requested subscription duration, seconds (RFC 6665 §4.1.2.1). */
  expires: number;
  /** New SUBSCRIBEs per second at most, so that a PBX is never flooded at start. */
  subscribeRate: number;
  /** The PBX's IP address: the only notifier (BRIEF §10), and the only source of unsolicited NOTIFYs. */
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
}

/** What both ways share: the subscriptions, the routing of NOTIFYs to them, and reporting each change once. */
export abstract class SubscriptionSet implements PartnerWatch {
  /** The subscriptions, by the URI each subscribes to (a partner, or the list). */
  protected readonly subscriptions = new Map<string, Subscription>();
  protected readonly context: SubscriptionContext<Subscription>;
  protected stopped = false;
  /** Whether `start` has run: a subscription added since asks at once. */
  protected started = false;
  private readonly byCallId = new Map<string, Subscription>();
  private readonly reported = new Map<string, PartnerUpdate>();
  private readonly pacer: Pacer;
  /** Whether the pacer is this set's own, to stop with it (a shared one goes on for the others). */
  private readonly ownPacer: boolean;

  constructor(
    ua: UserAgent,
    protected readonly options: WatchOptions,
    private readonly onUpdate: (update: PartnerUpdate) => void,
  ) {
    this.pacer = options.pacer ?? new Pacer(options.subscribeRate, options.clock);
    this.ownPacer = options.pacer == null;
    this.context = {
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
  }

  abstract update(partner: string): PartnerUpdate | null;

  /** The subscription's news changed (its state, or what its NOTIFY said): tell what its keys can show. */
  protected abstract report(subscription: Subscription): void;

  /** The subscription an unsolicited NOTIFY from the PBX belongs to, for dialects that send them. */
  protected unsolicitedOwner(_request: IncomingRequest): Subscription | null {
    return null;
  }

  start(): void {
    this.started = true;
    for (const subscription of this.subscriptions.values()) {
      this.report(subscription);
      subscription.ask();
    }
  }

  owns(request: IncomingRequest): boolean {
    return this.owner(request) != null;
  }

  claim(request: IncomingRequest): boolean {
    const owner = this.owner(request);
    if (owner == null) return false;
    if (owner.unsolicited) owner.subscription.notifyUnsolicited(request);
    else owner.subscription.notify(request);
    return true;
  }

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

  pbxGone(): void {
    for (const subscription of this.subscriptions.values()) subscription.pbxGone();
  }

  pbxBack(): void {
    for (const subscription of this.subscriptions.values()) subscription.ask();
  }

  reread(): void {
    // Every partner is told again, even one whose lamp reads the same: the desk phone's call may not.
    this.reported.clear();
    for (const subscription of this.subscriptions.values()) subscription.reread();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ownPacer) this.pacer.stop();
    await Promise.all([...this.subscriptions.values()].map((subscription) => subscription.end()));
  }

  /** A partner no longer watched: what was last told of it is forgotten. */
  protected forget(partner: string): void {
    this.reported.delete(partner);
  }

  /** Passes a partner's update on, unless it tells nothing new (partner-update.ts `sameUpdate`). */
  protected tell(update: PartnerUpdate): void {
    if (sameUpdate(this.reported.get(update.partner), update)) return;
    this.reported.set(update.partner, update);
    this.onUpdate(update);
  }

  private owner(request: IncomingRequest): { subscription: Subscription; unsolicited: boolean } | null {
    const { message, remote } = request;
    if (message.method !== 'NOTIFY') return null;
    // BRIEF §10: the PBX is the only notifier. A NOTIFY from anywhere else is no NOTIFY of ours, even
    // one that names a live subscription's Call-ID and tags (anyone on the network can copy those).
    if (remote.address !== this.options.pbxAddress) return null;
    const callId = message.headers['call-id'] ?? '';
    const subscription = this.byCallId.get(callId);
    if (subscription?.owns(callId, tagOf(message.headers.to)) === true)
      return { subscription, unsolicited: false };
    const unsolicited = this.unsolicitedOwner(request);
    return unsolicited == null ? null : { subscription: unsolicited, unsolicited: true };
  }
}
