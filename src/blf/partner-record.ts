/**
 * The partner-state reducer: one partner's dialogs as known from one subscription, and how a document
 * changes them (RFC 4235 §4.1 and §4.3, with the rules of BRIEF §3). Pure and immutable: every call
 * returns a new record or the same one.
 *
 * Versions (RFC 4235 §4.1): tracked per subscription dialog. A document whose version is lower than the
 * last accepted one is dropped. An equal version is applied (RFC 5359 §2.17 repeats `version="0"` with
 * new content). A partial document more than one version ahead means notifications were lost: nothing
 * is applied and the caller must ask for full state (re-SUBSCRIBE). A new subscription (a new Call-ID,
 * e.g. after a PBX restart that starts counting again at 0) starts from nothing, or the lamps would stay
 * stuck after the PBX reboots.
 *
 *   (fresh) --full/partial--> informed --lower version--> dropped (unchanged)
 *                                      --partial gap-----> resync requested (unchanged)
 *                                      --new Call-ID-----> fresh, then applied
 */
import type { DialogInfoDialog, DialogInfoDocument } from './dialog-info.ts';

/** Bounds memory against a notifier that sends partial updates for ever-new dialog ids. */
export const MAX_DIALOGS = 1024;

export interface PartnerRecord {
  /** The subscription (Call-ID) the version belongs to; null for NOTIFYs outside any known dialog. */
  readonly subscription: string | null;
  readonly version: number | null;
  /** Dialogs by key, in the order they were first seen. */
  readonly dialogs: ReadonlyMap<string, DialogInfoDialog>;
  /** False until a document has been applied: the partner's state is unknown. */
  readonly informed: boolean;
}

export const FRESH_RECORD: PartnerRecord = {
  subscription: null,
  version: null,
  dialogs: new Map(),
  informed: false,
};

export type ApplyOutcome =
  | { kind: 'applied'; record: PartnerRecord }
  | { kind: 'stale'; record: PartnerRecord; message: string }
  | { kind: 'gap'; record: PartnerRecord; message: string };

export function applyDocument(
  current: PartnerRecord,
  document: DialogInfoDocument,
  subscription: string | null,
): ApplyOutcome {
  const record = subscription === current.subscription ? current : { ...FRESH_RECORD, subscription };
  const { version } = document;
  if (version != null && record.version != null) {
    if (version < record.version) {
      return {
        kind: 'stale',
        record: current,
        message: `version ${version} is older than ${record.version}`,
      };
    }
    if (document.state === 'partial' && version > record.version + 1) {
      return {
        kind: 'gap',
        record: current,
        message: `partial version ${version} skips from ${record.version}: state lost, full state needed`,
      };
    }
  }
  const dialogs =
    document.state === 'full' ? replaceAll(document.dialogs) : merge(record.dialogs, document.dialogs);
  return {
    kind: 'applied',
    record: { subscription, version: version ?? record.version, dialogs, informed: true },
  };
}

/** The key a dialog is stored under: its id (RFC 4235 §4.1.1), else what identifies its SIP dialog. */
function dialogKey(dialog: DialogInfoDialog, index: number): string {
  if (dialog.id != null) return `id:${dialog.id}`;
  if (dialog.callId != null)
    return `sip:${dialog.callId}\u0000${dialog.localTag ?? ''}\u0000${dialog.remoteTag ?? ''}`;
  return `#${index}`;
}

function replaceAll(dialogs: readonly DialogInfoDialog[]): Map<string, DialogInfoDialog> {
  const table = new Map<string, DialogInfoDialog>();
  dialogs.forEach((dialog, index) => table.set(dialogKey(dialog, index), dialog));
  return bounded(table);
}

/**
 * RFC 4235 §4.3 partial state: each dialog listed replaces the one with its id; a terminated one leaves
 * the table. Identities and tags a partial update leaves out are carried forward (§4.1.6.1: RFC 4235
 * §6.2 v3 gives only the remote target of a dialog whose remote identity came in v2). The hold
 * indication is not carried: an update without it means the call is no longer held.
 */
function merge(
  previous: ReadonlyMap<string, DialogInfoDialog>,
  updates: readonly DialogInfoDialog[],
): Map<string, DialogInfoDialog> {
  const table = new Map(previous);
  updates.forEach((update, index) => {
    const key = dialogKey(update, index);
    if (update.state === 'terminated') {
      table.delete(key);
      return;
    }
    const old = table.get(key);
    table.set(key, old == null ? update : carryForward(old, update));
  });
  return bounded(table);
}

function carryForward(old: DialogInfoDialog, update: DialogInfoDialog): DialogInfoDialog {
  return {
    ...update,
    callId: update.callId ?? old.callId,
    localTag: update.localTag ?? old.localTag,
    remoteTag: update.remoteTag ?? old.remoteTag,
    direction: update.direction ?? old.direction,
    local: {
      ...update.local,
      identity: update.local.identity ?? old.local.identity,
      display: update.local.display ?? old.local.display,
      target: update.local.target ?? old.local.target,
    },
    remote: {
      ...update.remote,
      identity: update.remote.identity ?? old.remote.identity,
      display: update.remote.display ?? old.remote.display,
      target: update.remote.target ?? old.remote.target,
    },
  };
}

function bounded(table: Map<string, DialogInfoDialog>): Map<string, DialogInfoDialog> {
  for (const key of table.keys()) {
    if (table.size <= MAX_DIALOGS) break;
    table.delete(key);
  }
  return table;
}
