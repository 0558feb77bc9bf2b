/**
 * The typed reading of one `application/dialog-info+xml` document (RFC 4235 §4), as the reader returns it.
 * Every string is trimmed; missing values are null, never empty strings (Snom sends `local-tag=""`,
 * which must not become a Replaces tag).
 */

/** RFC 4235 §4.1.1 `direction`. `receiver`/`responder` (RFC 4235 §6.2 and RFC 7463 errata) read as recipient. */
export type DialogDirection = 'initiator' | 'recipient';

export interface DialogParticipant {
  /** The first `<identity>`, preferring a sip:/sips: one when several are given (BroadWorks adds a tel:). */
  identity: string | null;
  /** The identity's `display` attribute, whitespace (including line breaks) folded to single spaces. */
  display: string | null;
  /** `<target uri=…>`, or the element's text when a notifier writes the URI as content (RFC 5359 §2.15). */
  target: string | null;
  /** `+sip.rendering` from the target's `<param pname pval|pvalue>` (Asterisk writes `pvalue`). */
  rendering: 'yes' | 'no' | null;
}

export interface DialogInfoDialog {
  /** `id`, or null when missing (the reducer then keys the dialog on call-id and tags). */
  id: string | null;
  callId: string | null;
  localTag: string | null;
  remoteTag: string | null;
  direction: DialogDirection | null;
  /** The `<state>` token, trimmed and lower-cased (Kamailio sends `Trying`); null when the element is missing. */
  state: string | null;
  /** `<state event=…>` (or the erratum `reason=…`). */
  event: string | null;
  /** `<state code=…>` as a number when it is one. */
  code: number | null;
  /** RFC 7463 `<sa:exclusive>`: true means the dialog must not be picked up or joined (§5.2.2). */
  exclusive: boolean;
  local: DialogParticipant;
  remote: DialogParticipant;
}

export interface DialogInfoDocument {
  /** The root's `entity`, with `sip:` added when the notifier left the scheme out; null when absent. */
  entity: string | null;
  /**
   * The root's `version`; null when absent or not a usable number (Snom templates write `version="..."`,
   * hostile documents write numbers past 2^53): such a document is applied but never moves the version.
   */
  version: number | null;
  /**
   * `full` or `partial`. A missing or unknown value (RFC 4235 §4.1's own example writes `notify-state`)
   * reads as `full`: a document that does not say it is partial describes every dialog.
   */
  state: 'full' | 'partial';
  dialogs: DialogInfoDialog[];
}

/** Stable codes for a document the reader refuses. Tests assert these, never message text. */
export type ReadErrorCode =
  | 'too-large'
  | 'doctype'
  | 'malformed-xml'
  | 'too-deep'
  /** A root that is not dialog-info, or dialog-info in another XML namespace. */
  | 'not-dialog-info'
  /** A `version` that is there but no non-negative integer (RFC 4235 §4.1). */
  | 'bad-version';

export interface ReadError {
  code: ReadErrorCode;
  message: string;
}

export type ReadResult = { ok: true; document: DialogInfoDocument } | { ok: false; error: ReadError };
