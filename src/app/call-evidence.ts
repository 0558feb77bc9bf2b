/**
 * What became of a press's call when the PBX's last word on it does not say: the dialect's sipfrag
 * table marks such statuses `ask-the-calls` (src/blf/dialects.ts; Asterisk ends a REFER's subscription
 * 503 after every pickup that worked, because `Pickup()` masquerades the desk phone's channel, and after
 * a call that failed). The calls say it instead, as the partners' updates show them, for EVIDENCE_MS:
 *
 * - a pickup went through when the partner stopped ringing without answering (its phone was cancelled:
 *   the call was taken elsewhere, by the desk phone);
 * - a dial (or a transfer) went through when the partner is in a call;
 * - and, where lampfield watches the desk phone's own dialogs (`phone.watch`), the desk phone is in a
 *   call too. Without it, a pickup whose caller hung up just before it is taken for one that worked.
 */
import type { LampSituation } from '../blf/lamp-policy.ts';
import type { PartnerLamps } from './partner-lamps.ts';

/** How long the calls are watched for a sign of how the press went. */
export const EVIDENCE_MS = 3000;

/** States a partner is in a call in. */
const IN_A_CALL: readonly LampSituation[] = ['busy', 'held'];
/** States a partner whose ringing call was taken elsewhere may be in: it did not answer, and is known. */
const NOT_ANSWERED: readonly LampSituation[] = ['idle', 'calling', 'offline'];

/**
 * Whether the calls show that a press's call went through: `pickup` of `partner`'s ringing call, or
 * `reach`ing `partner`; `desk` is the desk phone's URI when it is watched. Resolves as soon as they do,
 * false when they do not within EVIDENCE_MS.
 */
export function callsShowItWorked(
  what: 'pickup' | 'reach',
  partner: string,
  desk: string | null,
  lamps: Pick<PartnerLamps, 'partner' | 'until'>,
): Promise<boolean> {
  const state = (uri: string): LampSituation => lamps.partner(uri)?.situation ?? 'unknown';
  const deskInCall = () => desk == null || IN_A_CALL.includes(state(desk));
  const partnerShows = what === 'pickup' ? NOT_ANSWERED : IN_A_CALL;
  return lamps.until(() => partnerShows.includes(state(partner)) && deskInCall(), EVIDENCE_MS);
}
