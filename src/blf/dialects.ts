/**
 * PBX dialects: each is a small table of the ways one family's dialog-info differs from RFC 4235, read by
 * the one reader and the one reducer (never a fork of them). Facts from shared/notes/dialects.md,
 * shared/notes/kamailio.md and the innovaphone seed.
 */

export type DialectName = 'generic' | 'innovaphone' | 'asterisk' | 'freeswitch' | 'kamailio';
export const DIALECT_NAMES: readonly DialectName[] = [
  'generic',
  'innovaphone',
  'asterisk',
  'freeswitch',
  'kamailio',
];

/** How a dialog's `<state>` token is read: RFC 4235 §3.7.1 states, folded to what a lamp needs. */
export type DialogPhase = 'setup' | 'alerting' | 'connected' | 'terminated';

/** Pickup methods (BRIEF §4), tried in the dialect's (or the key's) order. */
export type PickupMethod = 'replaces' | 'target' | 'code';

/**
 * What a final sipfrag status of a REFER's NOTIFY (RFC 3515 §2.4.5) means from a family that sends it for
 * something else than the referred call's outcome: `too-early` — the PBX could not act on the REFER yet
 * and did nothing (it is sent again a moment later); `ask-the-calls` — the status does not tell how the
 * call went, the calls do (the partner's state, the desk phone's: src/app/call-evidence.ts).
 */
export type SipfragMeaning = 'too-early' | 'ask-the-calls';

export interface Dialect {
  name: DialectName;
  /** State tokens (lower-case) and their phase; a token not listed is unknown (never ringing). */
  phases: Readonly<Record<string, DialogPhase>>;
  /**
   * Whose side `direction` is written from. RFC 4235 §4.1.1: the partner's (`recipient`: a call the
   * partner receives). innovaphone writes the PBX's side, inverted: the seed shows a call the partner
   * receives as `early` with `direction="initiator"`, so its partner's own call out comes as `recipient`.
   */
  directionSeenBy: 'partner' | 'pbx';
  /**
   * FreeSWITCH reports a held answered call as `early` with `+sip.rendering=no` on the local target
   * (presence-hold-state): read such a dialog as held, not ringing. No ringing phone has a local target
   * that renders no media, so the tolerant generic reading does the same.
   */
  earlyWithRenderingNoIsHeld: boolean;
  /** Pickup methods in the order this PBX family supports them. */
  pickup: readonly PickupMethod[];
  /** The PBX's directed-pickup feature code, `{number}` standing for the partner's (`**{number}`); null: none known. */
  pickupCode: string | null;
  /**
   * innovaphone gives no tags, only the call-id of its own call: a Replaces naming that call-id is how its
   * phones pick up. Everywhere else Replaces needs both tags (RFC 3891 §6.1).
   */
  replacesByCallIdAlone: boolean;
  /** innovaphone sends NOTIFYs without any SUBSCRIBE (the seed); others only inside a subscription. */
  unsolicitedNotify: boolean;
  /**
   * Final sipfrag statuses that do not mean what RFC 3515 says, by status (SipfragMeaning); any other
   * status is the referred call's outcome.
   */
  sipfrag: Readonly<Record<number, SipfragMeaning>>;
  /**
   * The direction of the audio stream in lampfield's answer to the desk phone's offer, in the ACK of the
   * call it hands on at once by REFER (src/sip/sdp-answer.ts). `inactive` (RFC 3264 §5.1, no media
   * flows) where the answer reaches the phone itself, through a proxy. A B2BUA takes `inactive` as a
   * hold of its own channel and holds the desk phone's: Asterisk's res_pjsip_sdp_rtp.c and FreeSWITCH's
   * switch_core_media.c read sendonly, inactive or a 0.0.0.0 address as a hold (the desk phone's key
   * flickers held, music on hold plays), `recvonly` as none.
   */
  answerDirection: 'inactive' | 'recvonly';
  /**
   * Who ends lampfield's call with the desk phone once a REFER in it went through. RFC 5589 §6.1: the
   * transferor, lampfield. A B2BUA that carries the REFER out itself ends it on its own, and its sipfrag
   * 200 may say only that it took the REFER: FreeSWITCH (sofia.c, sofia_handle_sip_i_refer) answers a
   * blind transfer 200 at once, then moves the desk phone's channel to the target
   * (switch_ivr_session_transfer) and hangs up lampfield's channel, a BYE. There the 200 counts once
   * that BYE came (src/sip/referrals.ts), and a BYE of lampfield's would race the move.
   */
  referringCallEndedBy: 'lampfield' | 'pbx';
  /**
   * How long after the ACK of the desk phone's call its REFER is sent: a B2BUA bridges lampfield's
   * channel with the desk phone's only once it has the ACK, and a REFER before that races the bridge.
   * FreeSWITCH (enable-3pcc proxy) still answers it sipfrag 200, but a call to the partner is cancelled
   * (ORIGINATOR_CANCEL) or a pickup leaves lampfield's channel (checked on 1.10.12). Asterisk refuses it
   * (sipfrag 400, `sipfrag`) and it is sent again 150 ms later: one press in 20 took ~190 ms instead of
   * ~40 (`npm run bench`); 20 ms after the ACK none did.
   */
  referAfterAckMs: number;
}

/** RFC 4235 §3.7.1 states. `proceeding` is a 1xx without a tag: the call is still being set up. */
const RFC4235_PHASES: Readonly<Record<string, DialogPhase>> = {
  trying: 'setup',
  proceeding: 'alerting',
  early: 'alerting',
  confirmed: 'connected',
  terminated: 'terminated',
};

const generic: Dialect = {
  name: 'generic',
  phases: RFC4235_PHASES,
  directionSeenBy: 'partner',
  earlyWithRenderingNoIsHeld: true,
  pickup: ['replaces', 'target', 'code'],
  pickupCode: null,
  replacesByCallIdAlone: false,
  unsolicitedNotify: false,
  sipfrag: {},
  answerDirection: 'inactive',
  referringCallEndedBy: 'lampfield',
  referAfterAckMs: 0,
};

export const DIALECTS: Readonly<Record<DialectName, Dialect>> = {
  generic,
  innovaphone: {
    ...generic,
    name: 'innovaphone',
    // On answer innovaphone reports the early dialog terminated, then the same id as `proceeding`:
    // connected (the seed). Snom's own parser reads it as ringing, which is wrong here.
    phases: { ...RFC4235_PHASES, proceeding: 'connected' },
    directionSeenBy: 'pbx',
    pickup: ['replaces', 'code'],
    replacesByCallIdAlone: true,
    unsolicitedNotify: true,
  },
  // Every entry but chan_sip's is checked on a real Asterisk 23.4.1 (res_pjsip) in npm test
  // (test/integration/asterisk-*.test.ts, test/vectors/asterisk/).
  asterisk: {
    ...generic,
    name: 'asterisk',
    // PJSIP gives no call-id and no tags: pickup needs the dialplan's directed pickup (`**207`, FreePBX).
    // chan_sip may offer a `**207` remote target when notifyringing is on (only from captures).
    pickup: ['replaces', 'target', 'code'],
    pickupCode: '**{number}',
    // res_pjsip_refer.c: a REFER before lampfield's channel is in a bridge (just after the 200 of the
    // desk phone's call) is a blind transfer `ast_bridge_transfer_blind` finds invalid: sipfrag 400, and
    // nothing done. Once under way, the transfer's subscription ends 503 whenever its progress hook goes
    // away before the transferee joins a bridge: when the channel is masqueraded (every Pickup(), so
    // every pickup that worked), and when it hangs up (a call that failed).
    sipfrag: { 400: 'too-early', 503: 'ask-the-calls' },
    answerDirection: 'recvonly',
    referAfterAckMs: 20,
  },
  // Checked on a real FreeSWITCH 1.10.12 (mod_sofia) in npm test (test/integration/freeswitch-*.test.ts,
  // test/vectors/freeswitch/): every entry but `replaces` and `code` among the pickups, which a real
  // FreeSWITCH never needed (its ringing dialogs always had the intercept target, never tags): those
  // two rest on RFC 3891 and on the `**` prefix its target shows.
  freeswitch: {
    ...generic,
    name: 'freeswitch',
    // mod_sofia puts the intercept URI `sip:**207@host` as the remote target of a ringing dialog.
    pickup: ['target', 'replaces', 'code'],
    pickupCode: '**{number}',
    // A held call, `early` (presence-hold-state's default) with `+sip.rendering=no`: the generic reading
    // (earlyWithRenderingNoIsHeld) shows it held; `confirmed` too; `terminated` cannot.
    referringCallEndedBy: 'pbx',
    referAfterAckMs: 50,
    // switch_core_media.c reads sendonly, inactive or 0.0.0.0 as a hold (switch_core_media_toggle_hold).
    answerDirection: 'recvonly',
  },
  kamailio: {
    ...generic,
    name: 'kamailio',
    // pua_dialoginfo gives call-id and both tags in the early document (shared/notes/kamailio.md).
    pickup: ['replaces', 'code'],
  },
};

export function isDialectName(value: string): value is DialectName {
  return (DIALECT_NAMES as readonly string[]).includes(value);
}
