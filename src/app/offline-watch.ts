/**
 * Whether each partner has a phone at all (`pbx.registrations`: the key shows `offline` when not), as
 * one PartnerWatch beside the dialog one. By the registration event package (RFC 3680,
 * src/blf/reginfo.ts) where the PBX serves it (Kamailio's presence_reginfo); where it refuses it,
 * by the presence package (RFC 3856, src/blf/presence.ts) instead: Asterisk answers `Event: reg` 489 Bad
 * Event, and says in its PIDF that an endpoint with no contact is `closed`.
 *
 *   reg ──first refusal──▶ presence (said once, in the log) ──refused too──▶ what the dialogs say (said once)
 *
 * A refusal of reg is not passed on: the keys wait for presence (unknown, not idle for a moment, then
 * offline).
 */
import { PresenceIntake } from '../blf/presence.ts';
import { RegIntake } from '../blf/reginfo.ts';
import type { PartnerUpdate } from '../sip/partner-update.ts';
import type { PartnerWatch } from '../sip/partner-watch.ts';
import type { IncomingRequest } from '../sip/stack.ts';
import type { NotifyIntake } from '../sip/subscription-context.ts';
import type { Logger } from '../util/log.ts';

/** Makes the subscriptions of one package, every partner's, reading NOTIFYs with `intake`. */
export type MakeWatch = (intake: NotifyIntake, onUpdate: (update: PartnerUpdate) => void) => PartnerWatch;

export class OfflineWatch implements PartnerWatch {
  private watch: PartnerWatch;
  private by: 'reg' | 'presence' = 'reg';
  private started = false;
  private refusalSaid = false;

  constructor(
    private readonly make: MakeWatch,
    private readonly log: Logger,
    private readonly onUpdate: (update: PartnerUpdate) => void,
  ) {
    this.watch = make(new RegIntake(), (update) => this.fromReg(update));
  }

  /** The package offline is read from now. */
  get package(): 'reg' | 'presence' {
    return this.by;
  }

  start(): void {
    this.started = true;
    this.watch.start();
  }

  update(partner: string): PartnerUpdate | null {
    return this.watch.update(partner);
  }

  owns(request: IncomingRequest): boolean {
    return this.watch.owns(request);
  }

  claim(request: IncomingRequest): boolean {
    return this.watch.claim(request);
  }

  handleRequest(request: IncomingRequest): boolean {
    return this.watch.handleRequest(request);
  }

  pbxGone(): void {
    this.watch.pbxGone();
  }

  pbxBack(): void {
    this.watch.pbxBack();
  }

  reread(): void {
    this.watch.reread();
  }

  stop(): Promise<void> {
    this.started = false;
    return this.watch.stop();
  }

  private fromReg(update: PartnerUpdate): void {
    if (this.by !== 'reg') return; // a late word of the subscriptions already ended
    if (update.status !== 'refused') {
      this.onUpdate(update);
      return;
    }
    this.by = 'presence';
    this.log.info('the PBX refuses the registration event package (reg): offline is read from presence', {
      partner: update.partner,
      reason: update.reason,
    });
    const ended = this.watch;
    this.watch = this.make(new PresenceIntake(), (next) => this.fromPresence(next));
    void ended.stop();
    if (this.started) this.watch.start();
  }

  private fromPresence(update: PartnerUpdate): void {
    if (update.status === 'refused' && !this.refusalSaid) {
      this.refusalSaid = true;
      this.log.warn('the PBX refuses the reg and presence event packages: keys cannot show offline', {
        partner: update.partner,
        reason: update.reason,
      });
    }
    this.onUpdate(update);
  }
}
