/**
 * Optional registration of lampfield's own account (RFC 3261 §10), refreshed before it expires and
 * retried with backoff when the PBX does not accept it. lampfield needs no registration to watch
 * partners; some PBXs only accept SUBSCRIBEs from registered users.
 */
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { headerText, localTag, type SipMessage } from './message.ts';
import type { UserAgent } from './user-agent.ts';

export class Registration {
  private readonly callId: string;
  private readonly tag = localTag();
  private seq = 0;
  private cancelTimer: () => void = () => undefined;
  private failures = 0;
  private stopped = false;
  registered = false;

  constructor(
    private readonly ua: UserAgent,
    private readonly expires: number,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.callId = ua.newCallId();
  }

  start(): Promise<boolean> {
    return this.register();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer();
    if (this.registered) await this.send(0);
  }

  private async send(expires: number): Promise<SipMessage> {
    this.seq += 1;
    const registrar = `sip:${this.ua.account.domain}`;
    const request = this.ua.outOfDialog('REGISTER', registrar, this.callId, this.tag, this.seq, {
      expires: String(expires),
    });
    request.headers.to = { uri: this.ua.uri, params: {} };
    const response = await this.ua.send(request, { timeoutMs: 8000 });
    this.seq = Math.max(this.seq, response.headers.cseq?.seq ?? 0);
    return response;
  }

  private async register(): Promise<boolean> {
    const response = await this.send(this.expires);
    if (this.stopped) return false;
    const status = response.status ?? 0;
    if (status >= 200 && status < 300) {
      this.registered = true;
      this.failures = 0;
      const granted = grantedExpires(response) ?? this.expires;
      this.log.info('registered', { user: this.ua.account.user, expires: granted });
      this.cancelTimer = this.clock.after(
        Math.max(granted / 2, granted - 60) * 1000,
        () => void this.register(),
      );
      return true;
    }
    this.registered = false;
    this.failures += 1;
    const retry = Math.min(60_000, 2000 * 2 ** (this.failures - 1));
    this.log.warn('registration failed', {
      user: this.ua.account.user,
      status,
      reason: response.reason,
      retryMs: retry,
    });
    this.cancelTimer = this.clock.after(retry, () => void this.register());
    return false;
  }
}

/** The expiry the registrar granted: the Contact's `expires` parameter, else the Expires header. */
function grantedExpires(response: SipMessage): number | null {
  const contact = response.headers.contact;
  const fromContact = Array.isArray(contact) ? contact[0]?.params['expires'] : null;
  const value = Number.parseInt(fromContact ?? headerText(response, 'expires') ?? '', 10);
  return Number.isFinite(value) && value > 0 ? value : null;
}
