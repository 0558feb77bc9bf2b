/**
 * `lampfield decode [--dialect D] FILE...` (BRIEF §8): NOTIFY messages (whole SIP text, as copied from a
 * trace) or bare dialog-info bodies, applied in order as one watcher, one JSON line per file.
 */
import { DIALECTS, DIALECT_NAMES, isDialectName, type DialectName } from '../blf/dialects.ts';
import { DialogWatcher, type NotifyResult, type PartnerView } from '../blf/dialog-watcher.ts';
import type { Lamp } from '../blf/lamp.ts';
import { DEFAULT_LAMPS, lampFor } from '../blf/lamp-policy.ts';
import { looksLikeSipMessage, notifyParts, readFirstRequest } from '../sip/message-text.ts';
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
      accepted: true;
      entity: string | null;
      version: number | null;
      state: string;
      lamp: Lamp;
      dialogs: DecodedDialog[];
      pickup: { method: string; uri: string; replaces: string | null } | null;
      /** Only when ringing and no pickup method is possible: why. */
      pickupError?: string;
    }
  | {
      file: string;
      accepted: false;
      entity: string | null;
      state: string;
      error: { code: string; message: string };
    };

/** Reads one file's text (a SIP message or a bare body) into the watcher and describes the outcome. */
export function decodeText(watcher: DialogWatcher, file: string, text: string): DecodeLine {
  let result: NotifyResult;
  if (looksLikeSipMessage(text)) {
    const message = readFirstRequest(text);
    if (message == null) {
      const view = watcher.view(null);
      const error = {
        code: 'no-request',
        message: 'the SIP text holds no request (a response alone says nothing of state)',
      };
      return { file, accepted: false, entity: view.entity, state: view.state, error };
    }
    result = watcher.notify(notifyParts(message));
  } else {
    result = watcher.apply({ body: text });
  }
  if (!result.accepted) {
    return {
      file,
      accepted: false,
      entity: result.view.entity,
      state: result.view.state,
      error: result.error,
    };
  }
  return acceptedLine(file, result.view);
}

function acceptedLine(file: string, view: PartnerView): DecodeLine {
  const line: DecodeLine = {
    file,
    accepted: true,
    entity: view.entity,
    version: view.version,
    state: view.state,
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
    io.stdout(JSON.stringify(decodeText(watcher, file, text)));
  }
  return status;
}
