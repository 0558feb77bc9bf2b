/**
 * The user's own desk phone as lampfield watches it (config `phone.watch`: the dialog event package of
 * the user's extension, read like any partner's): which call it has in progress, for a key press to
 * transfer (RFC 5589). Pure.
 *
 * A transfer names the call by its dialog identifiers (RFC 4538 Target-Dialog: Call-ID and both tags),
 * but PBXs do not repeat them in every document: Kamailio's pua_dialoginfo puts the tags and the peer's
 * target only in the `early` document, never in `confirmed` (notes/kamailio.md). So the tags and target
 * a dialog showed once are kept while the dialog lasts, and forgotten with it (memory follows the
 * phone's live dialogs, no more). Asterisk names no call at all (no call-id, no tags): the desk phone is
 * in a call all the same, one that only Asterisk's own interface can move (src/sip/asterisk-manager.ts).
 */
import type { DialogInfoDialog } from './dialog-info.ts';
import { ChosenDialect } from './dialect-choice.ts';
import type { Dialect } from './dialects.ts';
import { classifyDialog } from './partner-state.ts';
import { uriUser } from './uri.ts';

/** The desk phone's call in progress: its dialog as the desk phone's side sees it (RFC 4235 §4.1). */
export interface DeskCall {
  /**
   * The dialog's id in the PBX's document (RFC 4235 §4.1.1); FreeSWITCH's is the uuid of the desk
   * phone's channel (sofia_presence.c), which its event socket can move. Null for a call lampfield keeps.
   */
  dialogId: string | null;
  /** The call's Call-ID; null when the PBX never said (Asterisk). */
  callId: string | null;
  /** The desk phone's tag; null when the PBX never said. */
  localTag: string | null;
  /** The far side's tag; null when the PBX never said. */
  remoteTag: string | null;
  /** The far side's address (remote identity), and its Contact (remote target) when given. */
  peer: string | null;
  peerTarget: string | null;
  /** The far side in words: its display name, else its number. */
  peerName: string | null;
}

interface Remembered {
  localTag: string | null;
  remoteTag: string | null;
  peerTarget: string | null;
}

export class DeskPhoneCalls {
  private readonly remembered = new Map<string, Remembered>();
  private current: DeskCall | null = null;
  /** How the phone's dialogs read (dialect-choice.ts). */
  private readonly dialect: ChosenDialect;

  constructor(dialect: Dialect | ChosenDialect) {
    this.dialect = ChosenDialect.of(dialect);
  }

  /** The desk phone's dialogs as its latest document gave them (the intake's view of it). */
  update(dialogs: readonly DialogInfoDialog[]): void {
    const live = new Set<string>();
    this.current = null;
    for (const dialog of dialogs) {
      const key = dialog.id ?? dialog.callId;
      if (key == null || classifyDialog(dialog, this.dialect.current) == null) continue;
      live.add(key);
      const before = this.remembered.get(key);
      const kept: Remembered = {
        localTag: dialog.localTag ?? before?.localTag ?? null,
        remoteTag: dialog.remoteTag ?? before?.remoteTag ?? null,
        peerTarget: dialog.remote.target ?? before?.peerTarget ?? null,
      };
      this.remembered.set(key, kept);
      // The call in progress: confirmed and not held (a held call waits while another is talked on).
      if (this.current == null && classifyDialog(dialog, this.dialect.current) === 'busy') {
        const peer = dialog.remote.identity ?? dialog.remote.target;
        this.current = {
          dialogId: dialog.id,
          callId: dialog.callId,
          ...kept,
          peer,
          peerName: dialog.remote.display ?? (peer == null ? null : (uriUser(peer) ?? peer)),
        };
      }
    }
    for (const key of this.remembered.keys()) if (!live.has(key)) this.remembered.delete(key);
  }

  /** The call in progress, or null when the desk phone is not in one (or nothing is known). */
  get call(): DeskCall | null {
    return this.current;
  }
}
