/**
 * What RFC 6665 asks of a subscriber, as pure rules for the subscription state machine
 * (partner-watch.ts): the SUBSCRIBE it sends, what each answer to it means, what each reason of a
 * terminated subscription means, and when to try again.
 */
import { headerText, parameterOf, type SipMessage } from './message.ts';

/** The event package a subscription is for (RFC 6665 §7.2): its name and the body it takes. */
export interface EventPackage {
  name: string;
  accept: string;
  /** An option tag the SUBSCRIBE says it supports (`eventlist`: it takes resource lists, RFC 4662 §4.1). */
  supported?: string;
}

/**
 * The headers of a SUBSCRIBE (RFC 6665 §4.1.2) for `event` (dialog, RFC 4235 §3; reg, RFC 3680 §4);
 * Expires 0 ends it.
 */
export function subscribeHeaders(expires: number, event: EventPackage): Record<string, string> {
  return {
    event: event.name,
    accept: event.accept,
    expires: String(expires),
    'allow-events': 'dialog',
    ...(event.supported == null ? {} : { supported: event.supported }),
  };
}

/**
 * Responses that mean "this subscription will not be accepted" (RFC 6665 §4.1.2.1, §8.3.2), and a
 * challenge still standing after our credentials were sent (a wrong password).
 */
const REFUSED = new Set([401, 403, 404, 405, 407, 489, 501, 603, 604]);
/** Answers to a refresh that end the subscription (RFC 6665 §4.1.2.2). */
const REFRESH_ENDS = new Set([404, 405, 410, 416, 480, 481, 482, 483, 484, 485, 489, 501, 604]);

export type SubscribeAnswer =
  /** 2xx: the subscription holds for `expires` seconds (0: it does not hold at all). */
  | { kind: 'granted'; expires: number }
  /**
   * A refresh answered so that the subscription is over (RFC 6665 §4.1.2.2: 404, 405, 410, 416,
   * 480–485, 489, 501, 604; a PBX that restarted answers 481): subscribe anew at once, with a new
   * Call-ID and From tag. Only an initial SUBSCRIBE's refusal is a refusal.
   */
  | { kind: 'gone'; what: string }
  /** 423 with a longer Min-Expires (RFC 6665 §4.1.2.1, RFC 3261 §10.2.8): ask again for that long. */
  | { kind: 'too-brief'; minimum: number }
  | { kind: 'refused'; reason: string }
  /** Anything else (408, 5xx): try again later, after Retry-After when it is given. */
  | { kind: 'failed'; reason: string; retryMs: number | undefined };

export function readSubscribeAnswer(
  response: SipMessage,
  refresh: boolean,
  requestedExpires: number,
): SubscribeAnswer {
  const status = response.status ?? 0;
  const what = `${status} ${response.reason ?? ''}`.trim();
  if (status >= 200 && status < 300) {
    const granted = Number.parseInt(headerText(response, 'expires') ?? '', 10);
    return { kind: 'granted', expires: Number.isFinite(granted) ? granted : requestedExpires };
  }
  if (refresh && REFRESH_ENDS.has(status)) return { kind: 'gone', what };
  if (status === 423) {
    const minimum = Number.parseInt(headerText(response, 'min-expires') ?? '', 10);
    if (Number.isFinite(minimum) && minimum > requestedExpires) return { kind: 'too-brief', minimum };
  }
  if (REFUSED.has(status)) {
    const hint = status === 401 || status === 407 ? ' (check account.user and account.password)' : '';
    return { kind: 'refused', reason: `the PBX refused the subscription: ${what}${hint}` };
  }
  return { kind: 'failed', reason: `SUBSCRIBE answered ${what}`, retryMs: retryAfterMs(response) };
}

export type Termination =
  /** rejected, noresource, invariant: the notifier will not serve this subscription. */
  | { kind: 'refused'; reason: string; retryMs: number | undefined }
  /** probation, giveup, or any reason with a retry-after: subscribe again later. */
  | { kind: 'lost'; reason: string; retryMs: number | undefined }
  /** deactivated, timeout, or no reason: subscribe again at once. */
  | { kind: 'again'; reason: string };

/** RFC 6665 §4.1.3: what a `Subscription-State: terminated;reason=…` asks of the subscriber. */
export function readTermination(subscriptionState: string): Termination {
  const reason = parameterOf(subscriptionState, 'reason')?.toLowerCase() ?? null;
  const retryAfter = Number.parseInt(parameterOf(subscriptionState, 'retry-after') ?? '', 10);
  const retryMs = Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined;
  switch (reason) {
    case 'rejected':
    case 'noresource':
    case 'invariant':
      return { kind: 'refused', reason: `the PBX ended the subscription: ${reason}`, retryMs };
    case 'probation':
    case 'giveup':
      return { kind: 'lost', reason: `the PBX ended the subscription: ${reason}`, retryMs };
    default:
      if (retryMs != null)
        return { kind: 'lost', reason: `the PBX ended the subscription: ${reason ?? 'no reason'}`, retryMs };
      return { kind: 'again', reason: `the PBX ended the subscription (${reason ?? 'no reason'})` };
  }
}

/** A subscription granted for `expires` seconds is refreshed a minute before it ends, or halfway. */
export function refreshAfterMs(expires: number): number {
  return Math.max(expires / 2, expires - 60) * 1000;
}

const BACKOFF_BASE_MS = 2000;
const BACKOFF_MAX_MS = 60_000;

/** After the `failures`-th failure in a row: 2 s, doubling, at most 60 s, ±20 % jitter (`random` 0..1). */
export function backoffMs(failures: number, random: number): number {
  const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
  return backoff * (0.8 + 0.4 * random);
}

/** Retry-After (RFC 3261 §20.33) in ms, when given. */
function retryAfterMs(response: SipMessage): number | undefined {
  const seconds = Number.parseInt(headerText(response, 'retry-after') ?? '', 10);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
