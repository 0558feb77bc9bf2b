/**
 * What the desk phone is asked to call for a key press, and what became of it (call-control.ts, the
 * REFERs of referrals.ts): whether it went through, and if not, where it failed and why in words.
 */

/** What the desk phone is to call: a URI, and for a pickup by Replaces the dialog it replaces. */
export interface CallTarget {
  uri: string;
  /** The Replaces header value (RFC 3891 §6.1), not URI-escaped; null for a plain call. */
  replaces: string | null;
}

export type CallOutcome =
  /**
   * Done: by REFER, as the controller, or by the PBX's own interface (Asterisk's manager, FreeSWITCH's
   * event socket).
   */
  | { ok: true; via: 'refer' | 'controller' | 'manager' | 'event-socket' }
  | {
      ok: false;
      reason: string;
      /** Where it failed: the desk phone's call, the REFER, or the call to the target itself. */
      stage: 'desk-phone' | 'refer' | 'target';
      /** The final status of the failing request, when one came. */
      status: number | null;
      /**
       * The status is one the PBX sends whatever became of the call (the dialect's sipfrag table,
       * `ask-the-calls`): the calls say whether it failed (src/app/call-evidence.ts).
       */
      askTheCalls?: true;
    };

export type Failure = Extract<CallOutcome, { ok: false }>;
