/**
 * What `lampfield decode` makes of a file (BRIEF §8): NOTIFY messages (whole SIP text, as copied from a
 * trace, one or many per file) or a bare dialog-info body, applied in order to one intake (the same one
 * `lampfield run` reads with, src/blf/dialog-intake.ts), one line per NOTIFY (per file for a bare body).
 */
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import { callerOf, type DialogIntake, type NotifyResult, type PartnerView } from '../blf/dialog-intake.ts';
import { DEFAULT_LAMPS, lampFor } from '../blf/lamp-policy.ts';
import { DialectDetector, type DialectChoice } from '../blf/dialect-detect.ts';
import { readDialogInfo } from '../blf/dialog-info-reader.ts';
import { headerValue, looksLikeSipMessage, notifyParts, readRequests } from '../sip/message-text.ts';

export interface DecodedDialog {
  id: string | null;
  state: string | null;
  direction: string | null;
  callId: string | null;
  localTag: string | null;
  remoteTag: string | null;
  remote: string | null;
  remoteDisplay: string | null;
  held: boolean;
}

export type DecodeLine =
  | {
      file: string;
      /** The line of the file the NOTIFY starts on (SIP text only). */
      line?: number;
      accepted: true;
      entity: string | null;
      version: number | null;
      state: string;
      /** Who calls a ringing partner, as every board and the page show it (display name, else number). */
      caller: string | null;
      lamp: Lamp;
      dialogs: DecodedDialog[];
      pickup: { method: string; uri: string; replaces: string | null } | null;
      /** Only when ringing and no pickup method is possible: why. */
      pickupError?: string;
    }
  | {
      file: string;
      line?: number;
      accepted: false;
      entity: string | null;
      state: string;
      error: { code: string; message: string };
    };

/** Wireshark's packet tree (File → Export Packet Dissections) shows SIP as a tree, not as its text. */
const WIRESHARK_TREE = /^\s*Session Initiation Protocol \(/m;

/**
 * Reads one file's text into the intake and describes the outcome: each NOTIFY of a SIP text (a
 * copied trace, sngrep's saved text, Wireshark's "Follow UDP stream") in order, one line each with the
 * line it starts on, or a bare body as one document.
 */
export function decodeText(intake: DialogIntake, file: string, text: string): DecodeLine[] {
  if (!looksLikeSipMessage(text)) {
    if (WIRESHARK_TREE.test(text)) {
      const message =
        "this is Wireshark's packet tree, not the messages' text: use Follow → UDP Stream (or sngrep's Save as .txt) and decode that";
      return [refusedLine(file, null, intake.view(null), { code: 'packet-tree', message })];
    }
    return [resultLine(file, null, intake.apply({ body: text }))];
  }
  const notifies = readRequests(text).filter((request) => request.method === 'NOTIFY');
  if (notifies.length === 0) {
    const message = 'the SIP text holds no NOTIFY (a response or another request says nothing of state)';
    return [refusedLine(file, null, intake.view(null), { code: 'no-notify', message })];
  }
  return notifies.map((notify) => resultLine(file, notify.line, intake.notify(notifyParts(notify))));
}

function resultLine(file: string, line: number | null, result: NotifyResult): DecodeLine {
  return result.accepted
    ? acceptedLine(file, line, result.view)
    : refusedLine(file, line, result.view, result.error);
}

function refusedLine(
  file: string,
  line: number | null,
  view: PartnerView,
  error: { code: string; message: string },
): DecodeLine {
  return {
    file,
    ...(line == null ? {} : { line }),
    accepted: false,
    entity: view.entity,
    state: view.state,
    error,
  };
}

function acceptedLine(file: string, at: number | null, view: PartnerView): DecodeLine {
  const line: DecodeLine = {
    file,
    ...(at == null ? {} : { line: at }),
    accepted: true,
    entity: view.entity,
    version: view.version,
    state: view.state,
    caller: callerOf(view),
    lamp: lampFor(view.state, DEFAULT_LAMPS, 'rgb'),
    dialogs: view.dialogs.map((dialog) => ({
      id: dialog.id,
      state: dialog.state,
      direction: dialog.direction,
      callId: dialog.callId,
      localTag: dialog.localTag,
      remoteTag: dialog.remoteTag,
      remote: dialog.remote.identity ?? dialog.remote.target,
      remoteDisplay: dialog.remote.display,
      held: dialog.local.rendering === 'no',
    })),
    pickup: view.pickup?.ok === true ? view.pickup.target : null,
  };
  if (view.pickup?.ok === false) line.pickupError = view.pickup.reason;
  return line;
}

/**
 * `--dialect auto`: the family the texts show, as `pbx.dialect: auto` would choose it in `run`
 * (src/blf/dialect-detect.ts): a Server or User-Agent naming a product, else a document's shape, else a
 * NOTIFY no SUBSCRIBE of the texts asked for whose document names no entity (innovaphone's). Null when
 * nothing names one (they are then read the generic way).
 */
export function chooseDialect(texts: readonly string[]): DialectChoice | null {
  const detector = new DialectDetector();
  const requests = texts.flatMap((text) => (looksLikeSipMessage(text) ? readRequests(text) : []));
  for (const request of requests) {
    const choice = detector.sawProduct(headerValue(request, 'server'), headerValue(request, 'user-agent'));
    if (choice != null) return choice;
  }
  const bodies = [
    ...requests.filter((request) => request.method === 'NOTIFY').map((request) => request.body),
    ...texts.filter((text) => !looksLikeSipMessage(text)),
  ];
  for (const body of bodies) {
    const read = readDialogInfo(body);
    const choice = read.ok ? detector.sawDocument(read.document) : null;
    if (choice != null) return choice;
  }
  const asked = new Set(
    requests
      .filter((request) => request.method === 'SUBSCRIBE')
      .map((request) => headerValue(request, 'call-id')),
  );
  for (const notify of requests.filter((request) => request.method === 'NOTIFY'))
    if (!asked.has(headerValue(notify, 'call-id'))) {
      const choice = detector.sawUnsolicited(notify.body);
      if (choice != null) return choice;
    }
  return null;
}
