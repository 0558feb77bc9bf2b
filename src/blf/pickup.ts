/**
 * How to pick up a partner's ringing call (BRIEF §4), pure: the first method, in the dialect's or the
 * key's order, that the dialog-info makes possible.
 *
 * - `replaces` (RFC 3891, pickup flow RFC 5359 §2.16): an INVITE to the caller, i.e. the dialog's remote
 *   target, else its remote identity, else the partner, carrying
 *   `Replaces: <call-id>;to-tag=<remote-tag>;from-tag=<local-tag>;early-only`, the tags as the partner's
 *   dialog-info gives them: to-tag is the dialog's remote tag (the caller's), from-tag its local tag (the
 *   partner's), as RFC 3891 §7.1 message *3 and RFC 5359 §2.16 F5/F7 show. `early-only` (RFC 3891 §6.1)
 *   stops the INVITE from tearing down a call answered meanwhile. RFC 3891 §6.1 needs both tags; empty
 *   ones (Snom writes `local-tag=""`) do not count.
 * - `target`: the dialog's remote target when the PBX offers a pickup URI there (FreeSWITCH
 *   `sip:**207@host`, Asterisk chan_sip). Recognised by a user part that is a feature code (`*`, `#`):
 *   any other remote target is the caller's own contact, and calling it would not be a pickup.
 * - `code`: a feature code dialled at the partner's domain. `{number}` in it stands for the partner's
 *   number (directed pickup `**{number}` dials `**207`); a code without it is dialled as it is (group
 *   pickup `*8`).
 */
import type { DialogInfoDialog } from './dialog-info.ts';
import type { Dialect, PickupMethod } from './dialects.ts';
import { uriHost, uriUser, withScheme } from './uri.ts';

export interface PickupTarget {
  method: PickupMethod;
  /** Where the INVITE (or the REFER's Refer-To) goes. */
  uri: string;
  /** The Replaces header value, not URI-escaped; null unless the method is `replaces`. */
  replaces: string | null;
}

export type PickupPlan =
  /** The first possible method's target, and the other possible ones in order (to try if it fails). */
  { ok: true; target: PickupTarget; fallbacks: PickupTarget[] } | { ok: false; reason: string };

export interface PickupOptions {
  /** Methods in the order to try; defaults to the dialect's. */
  order?: readonly PickupMethod[];
  /** Feature code, `{number}` standing for the partner's number; defaults to the dialect's. */
  code?: string | null;
}

export function planPickup(
  dialog: DialogInfoDialog,
  partner: string | null,
  dialect: Dialect,
  options: PickupOptions = {},
): PickupPlan {
  const reasons: string[] = [];
  const possible: PickupTarget[] = [];
  for (const method of options.order ?? dialect.pickup) {
    const attempt = tryMethod(method, dialog, partner, dialect, options);
    if (typeof attempt !== 'string') possible.push(attempt);
    else reasons.push(`${method}: ${attempt}`);
  }
  const [target, ...fallbacks] = possible;
  if (target != null) return { ok: true, target, fallbacks };
  return { ok: false, reason: `no pickup method possible (${reasons.join('; ') || 'none configured'})` };
}

function tryMethod(
  method: PickupMethod,
  dialog: DialogInfoDialog,
  partner: string | null,
  dialect: Dialect,
  options: PickupOptions,
): PickupTarget | string {
  switch (method) {
    case 'replaces': {
      // RFC 7463 §5.2.2: an exclusive dialog must not be taken over.
      if (dialog.exclusive) return 'the dialog is exclusive';
      if (dialog.callId == null) return 'the dialog-info has no call-id';
      const tags = dialog.localTag != null && dialog.remoteTag != null;
      if (!tags && !dialect.replacesByCallIdAlone) return 'the dialog-info lacks local-tag or remote-tag';
      const uri = dialog.remote.target ?? dialog.remote.identity ?? partner;
      if (uri == null) return 'no caller or partner URI to send the INVITE to';
      const replaces = tags
        ? `${dialog.callId};to-tag=${dialog.remoteTag};from-tag=${dialog.localTag};early-only`
        : `${dialog.callId};early-only`;
      return { method, uri: withScheme(uri), replaces };
    }
    case 'target': {
      const target = dialog.remote.target;
      if (target == null) return 'the dialog-info has no remote target';
      const user = uriUser(withScheme(target));
      if (user == null || !/^[*#]/.test(user)) return 'the remote target is not a pickup URI';
      return { method, uri: withScheme(target), replaces: null };
    }
    case 'code': {
      const code = options.code === undefined ? dialect.pickupCode : options.code;
      if (code == null || code === '') return 'no pickup feature code configured';
      const number = uriUser(partner);
      const host = uriHost(partner);
      if (host == null) return 'the partner URI has no host';
      if (code.includes('{number}') && number == null) return 'the partner URI has no number';
      return { method, uri: `sip:${code.replaceAll('{number}', number ?? '')}@${host}`, replaces: null };
    }
  }
}

/**
 * The URI the desk phone calls to pick the call up: the target itself, with the Replaces header added as
 * a URI header for `replaces` (RFC 3891 §6.1; escaped, RFC 3261 §19.1.1), as a REFER's Refer-To takes it.
 */
export function pickupUri(target: Pick<PickupTarget, 'uri' | 'replaces'>): string {
  return target.replaces == null
    ? target.uri
    : `${target.uri}?Replaces=${encodeURIComponent(target.replaces)}`;
}

/** Whether two plans pick up the same way: the same targets in the same order, or the same reason. */
export function samePickupPlan(a: PickupPlan | null, b: PickupPlan | null): boolean {
  if (a == null || b == null) return a === b;
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.reason === b.reason;
  const targets = (plan: typeof a) => [plan.target, ...plan.fallbacks];
  const [left, right] = [targets(a), targets(b)];
  return (
    left.length === right.length &&
    left.every(
      (target, index) =>
        target.method === right[index]!.method &&
        target.uri === right[index]!.uri &&
        target.replaces === right[index]!.replaces,
    )
  );
}
