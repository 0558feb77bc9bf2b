/** Dialogs as the reader returns them, for tests of what comes after the reader. */
import type { DialogInfoDialog } from '../../src/blf/dialog-info.ts';

const NOBODY = { identity: null, display: null, target: null, rendering: null };

/** A dialog with nothing but its id and state; `extra` sets anything else. */
export function dialog(id: string, state: string, extra: Partial<DialogInfoDialog> = {}): DialogInfoDialog {
  return {
    id,
    callId: null,
    localTag: null,
    remoteTag: null,
    direction: null,
    state,
    event: null,
    code: null,
    exclusive: false,
    local: NOBODY,
    remote: NOBODY,
    ...extra,
  };
}
