/**
 * Partner state: what all of a partner's dialogs add up to (BRIEF §3), pure.
 *
 * Each live (non-terminated) dialog is classified on its own; the partner shows the highest-priority
 * class among them. Computing over every dialog matters: Kamailio keeps a terminated dialog in the
 * document for 11 to 20 s beside a new early one, and a second call can ring while the first is talking.
 */
import type { DialogInfoDialog } from './dialog-info.ts';
import type { Dialect } from './dialects.ts';

/**
 * `offline`: the partner's phone has no registered contact (the registration event package, RFC 3680,
 * src/blf/reginfo.ts); no dialog makes it.
 */
export type PartnerState = 'idle' | 'ringing' | 'calling' | 'busy' | 'held' | 'offline' | 'unknown';
export const PARTNER_STATES: readonly PartnerState[] = [
  'idle',
  'ringing',
  'calling',
  'busy',
  'held',
  'offline',
  'unknown',
];

/** What a live dialog can make the partner; idle is the absence of any. */
export type LiveState = Exclude<PartnerState, 'idle' | 'offline'>;

/**
 * Highest first (BRIEF §3 table). `unknown` (a live dialog whose state is missing or not an RFC 4235
 * state) ranks last: it never hides a call we do understand, and never reads as idle or ringing.
 */
export const DEFAULT_PRIORITY: readonly LiveState[] = ['ringing', 'busy', 'calling', 'held', 'unknown'];

/** The class of one dialog, or null when it is terminated (not live). */
export function classifyDialog(dialog: DialogInfoDialog, dialect: Dialect): LiveState | null {
  if (dialog.state == null) return 'unknown';
  const phase = dialect.phases[dialog.state];
  if (phase === undefined) return 'unknown';
  // RFC 4235 §4.1.6.2: `+sip.rendering=no` on the local target means the partner put the call on hold.
  const held = dialog.local.rendering === 'no';
  switch (phase) {
    case 'terminated':
      return null;
    case 'connected':
      return held ? 'held' : 'busy';
    case 'alerting':
      if (held && dialect.earlyWithRenderingNoIsHeld) return 'held';
      // BRIEF §3: early and incoming (received, or no direction) rings; a call the partner places is calling.
      return partnerSide(dialog, dialect) === 'initiator' ? 'calling' : 'ringing';
    case 'setup':
      // `trying` with no direction is a phone going off-hook (RFC 4235 §6.2, "seized"): the partner is
      // dialling. Only a trying dialog that says it is received is an incoming call (RFC 7463 §11.2 F4).
      return partnerSide(dialog, dialect) === 'recipient' ? 'ringing' : 'calling';
  }
}

export interface PartnerReading {
  state: PartnerState;
  /** The dialog that decided the state (the ringing one, for a pickup); null when idle. */
  dialog: DialogInfoDialog | null;
}

export function readPartnerState(
  dialogs: Iterable<DialogInfoDialog>,
  dialect: Dialect,
  priority: readonly LiveState[] = DEFAULT_PRIORITY,
): PartnerReading {
  let best: PartnerReading = { state: 'idle', dialog: null };
  let bestRank = Number.POSITIVE_INFINITY;
  for (const dialog of dialogs) {
    const state = classifyDialog(dialog, dialect);
    if (state == null) continue;
    const found = priority.indexOf(state);
    // A class left out of a custom priority list still outranks idle, below every listed one.
    const rank = found < 0 ? priority.length : found;
    if (rank < bestRank) {
      best = { state, dialog };
      bestRank = rank;
    }
  }
  return best;
}

/** A dialog's direction from the partner's side (RFC 4235 §4.1.1), whoever wrote it (dialects.ts). */
function partnerSide(dialog: DialogInfoDialog, dialect: Dialect): 'initiator' | 'recipient' | null {
  if (dialog.direction == null || dialect.directionSeenBy === 'partner') return dialog.direction;
  return dialog.direction === 'initiator' ? 'recipient' : 'initiator';
}
