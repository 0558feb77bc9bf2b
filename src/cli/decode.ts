/**
 * `lampfield decode [--dialect D] FILE...` (BRIEF §8): NOTIFY messages (whole SIP text, as copied from a
 * trace, one or many per file) or bare dialog-info bodies, applied in order as one watcher, one JSON
 * line per NOTIFY (per file for a bare body).
 */
import { DIALECTS, DIALECT_NAMES, isDialectName, type DialectName } from '../blf/dialects.ts';
import { callerOf, DialogWatcher, type NotifyResult, type PartnerView } from '../blf/dialog-watcher.ts';
import type { Lamp } from '../blf/lamp.ts';
import { DEFAULT_LAMPS, lampFor } from '../blf/lamp-policy.ts';
import { looksLikeSipMessage, notifyParts, readRequests } from '../sip/message-text.ts';
import type { CommandIo } from './command-io.ts';
import { usageLine } from './command-help.ts';

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
 * Reads one file's text into the watcher and describes the outcome: each NOTIFY of a SIP text (a
 * copied trace, sngrep's saved text, Wireshark's "Follow UDP stream") in order, one line each with the
 * line it starts on, or a bare body as one document.
 */
export function decodeText(watcher: DialogWatcher, file: string, text: string): DecodeLine[] {
  if (!looksLikeSipMessage(text)) {
    if (WIRESHARK_TREE.test(text)) {
      const message =
        "this is Wireshark's packet tree, not the messages' text: use Follow → UDP Stream (or sngrep's Save as .txt) and decode that";
      return [refusedLine(file, null, watcher.view(null), { code: 'packet-tree', message })];
    }
    return [resultLine(file, null, watcher.apply({ body: text }))];
  }
  const notifies = readRequests(text).filter((request) => request.method === 'NOTIFY');
  if (notifies.length === 0) {
    const message = 'the SIP text holds no NOTIFY (a response or another request says nothing of state)';
    return [refusedLine(file, null, watcher.view(null), { code: 'no-notify', message })];
  }
  return notifies.map((notify) => resultLine(file, notify.line, watcher.notify(notifyParts(notify))));
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

const USAGE = usageLine('decode');

export async function decodeCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let dialect: DialectName = 'generic';
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--dialect' || arg.startsWith('--dialect=')) {
      const value = arg === '--dialect' ? args[++i] : arg.slice('--dialect='.length);
      if (value == null || !isDialectName(value)) {
        io.stderr(`lampfield decode: unknown dialect "${value ?? ''}"; one of ${DIALECT_NAMES.join(', ')}`);
        return 2;
      }
      dialect = value;
    } else if (arg.startsWith('-') && arg !== '-') {
      io.stderr(`lampfield decode: unknown option ${arg}\n${USAGE}`);
      return 2;
    } else {
      files.push(arg);
    }
  }
  if (files.length === 0) {
    io.stderr(`lampfield decode: no FILE given\n${USAGE}`);
    return 2;
  }
  const watcher = new DialogWatcher(DIALECTS[dialect]);
  let status = 0;
  for (const file of files) {
    let text: string;
    try {
      text = file === '-' ? await io.readStdin() : await io.readFile(file);
    } catch (error) {
      io.stderr(
        `lampfield decode: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
      );
      status = 2;
      continue;
    }
    for (const line of decodeText(watcher, file, text)) io.stdout(JSON.stringify(line));
  }
  return status;
}
