/**
 * Where the requests a stack receives go: to the first taker that takes one (the desk phone's calls,
 * the subscriptions, …), in the order given. What none takes is answered here: OPTIONS with what
 * lampfield accepts (RFC 3261 §11.2), anything else 405 with the same Allow (§21.4.6).
 */
import type { IncomingRequest, SipStack } from './stack.ts';

/** Takes a request (answers it) and says so; false leaves it to the next taker. */
export type RequestTaker = (request: IncomingRequest) => boolean;

const ALLOW = 'NOTIFY, OPTIONS, BYE';

export function routeRequests(stack: Pick<SipStack, 'onRequests'>, takers: readonly RequestTaker[]): void {
  stack.onRequests((request) => {
    for (const take of takers) if (take(request)) return;
    if (request.message.method === 'OPTIONS') request.respond(200, 'OK', { headers: { allow: ALLOW } });
    else request.respond(405, 'Method Not Allowed', { headers: { allow: ALLOW } });
  });
}
