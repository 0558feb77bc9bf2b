/**
 * One subscription per partner (RFC 6665), the usual way to watch a panel's partners (partner-watch.ts
 * has what every way shares). A NOTIFY comes in its partner's subscription dialog, or, from the PBX
 * and for dialects that send them unasked (innovaphone), naming the partner by its From.
 */
import { partnerNamedBy } from '../blf/uri.ts';
import type { PartnerUpdate } from './partner-update.ts';
import { SubscriptionSet, type WatchOptions } from './partner-watch.ts';
import type { IncomingRequest } from './stack.ts';
import { Subscription } from './subscription.ts';
import type { UserAgent } from './user-agent.ts';

export class PartnerSubscriptions extends SubscriptionSet {
  constructor(
    ua: UserAgent,
    partners: readonly string[],
    options: WatchOptions,
    onUpdate: (update: PartnerUpdate) => void,
  ) {
    super(ua, options, onUpdate);
    for (const partner of new Set(partners))
      this.subscriptions.set(partner, new Subscription(partner, this.context));
  }

  /**
   * Watches these partners from now on (the config's keys changed, README "Many panels"): a partner
   * watched before keeps its subscription as it is, one no longer watched is unsubscribed, a new one
   * subscribed (paced with the rest). Resolves once the unsubscribes are answered.
   */
  async watchOnly(partners: readonly string[]): Promise<void> {
    const wanted = new Set(partners);
    const ending: Promise<void>[] = [];
    for (const [partner, subscription] of this.subscriptions) {
      if (wanted.has(partner)) continue;
      this.subscriptions.delete(partner);
      this.forget(partner);
      ending.push(subscription.end());
    }
    for (const partner of wanted) {
      if (this.subscriptions.has(partner)) continue;
      const subscription = new Subscription(partner, this.context);
      this.subscriptions.set(partner, subscription);
      if (!this.started || this.stopped) continue;
      this.report(subscription);
      subscription.ask();
    }
    await Promise.all(ending);
  }

  update(partner: string): PartnerUpdate | null {
    return this.subscriptions.get(partner)?.describe() ?? null;
  }

  protected report(subscription: Subscription): void {
    this.tell(subscription.describe());
  }

  protected override unsolicitedOwner({ message }: IncomingRequest): Subscription | null {
    if (!this.options.intake.unsolicited) return null;
    const named = partnerNamedBy(
      message.headers.from?.uri ?? null,
      this.subscriptions.keys(),
      this.options.pbxAddress,
    );
    return named == null ? null : this.subscriptions.get(named)!;
  }
}
