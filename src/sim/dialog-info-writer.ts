/**
 * Dialog-info documents as each PBX family writes them (shared/notes/dialects.md), for the PBX
 * simulator (BRIEF §6): the same call, rendered the way generic RFC 4235, innovaphone, Asterisk PJSIP,
 * FreeSWITCH and Kamailio put it on the wire. Pure: strings out.
 */
import type { DialectName } from '../blf/dialects.ts';

/** One call of a simulated extension, from that extension's side. */
export interface SimCall {
  /** Stable per call: dialog id and Call-ID derive from it. */
  id: string;
  callId: string;
  /** The extension's tag and the other party's. */
  localTag: string;
  remoteTag: string;
  /** `recipient`: the extension is being called. */
  direction: 'initiator' | 'recipient';
  phase: 'early' | 'confirmed' | 'terminated';
  /** The other party. */
  remote: { uri: string; display: string | null };
  /** The extension put the call on hold. */
  held: boolean;
}

export interface RenderContext {
  /** The watched extension, e.g. `sip:207@127.0.0.1`. */
  entity: string;
  /** Its number, e.g. `207`. */
  number: string;
  /** The PBX host for feature URIs. */
  host: string;
  version: number;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const NS = 'urn:ietf:params:xml:ns:dialog-info';

/** The documents one change of calls produces: innovaphone sends two on answer (terminated, proceeding). */
export function renderDialogInfo(
  dialect: DialectName,
  calls: readonly SimCall[],
  context: RenderContext,
): string {
  switch (dialect) {
    case 'innovaphone':
      return innovaphone(calls, context);
    case 'asterisk':
      return asterisk(calls, context);
    case 'freeswitch':
      return freeswitch(calls, context);
    case 'kamailio':
      return kamailio(calls, context);
    case 'generic':
      return generic(calls, context);
  }
}

function participant(
  role: 'local' | 'remote',
  identity: string,
  display: string | null,
  target: string | null,
  held = false,
  pvalue = false,
): string {
  const displayAttribute = display == null ? '' : ` display="${escape(display)}"`;
  const param = held ? `<param pname="+sip.rendering" ${pvalue ? 'pvalue' : 'pval'}="no"/>` : '';
  const targetElement =
    target == null
      ? ''
      : param === ''
        ? `<target uri="${escape(target)}"/>`
        : `<target uri="${escape(target)}">${param}</target>`;
  return `<${role}><identity${displayAttribute}>${escape(identity)}</identity>${targetElement}</${role}>`;
}

/** RFC 4235 as written: full state, entity, call-id, both tags, direction, local and remote. */
function generic(calls: readonly SimCall[], context: RenderContext): string {
  const dialogs = calls.map(
    (call) =>
      `<dialog id="${escape(call.id)}" call-id="${escape(call.callId)}" local-tag="${escape(call.localTag)}" remote-tag="${escape(call.remoteTag)}" direction="${call.direction}">` +
      `<state>${call.phase}</state>` +
      participant('local', context.entity, null, context.entity, call.held) +
      participant('remote', call.remote.uri, call.remote.display, call.remote.uri) +
      '</dialog>',
  );
  return `<?xml version="1.0"?>\n<dialog-info xmlns="${NS}" version="${context.version}" state="full" entity="${escape(context.entity)}">${dialogs.join('')}</dialog-info>`;
}

/**
 * innovaphone (the seed): no entity, no tags, the direction written from the PBX's side (a received call
 * is `early` with direction initiator, a call the partner places recipient), a connected call is
 * `proceeding`. The terminated-then-proceeding pair on answer is the simulator's to
 * send as two NOTIFYs (see `innovaphoneAnswer`).
 */
function innovaphone(calls: readonly SimCall[], context: RenderContext): string {
  const dialogs = calls.map(
    (call) =>
      `\n    <dialog id="${escape(call.id)}" direction="${call.direction === 'initiator' ? 'recipient' : 'initiator'}" call-id="${escape(call.callId)}">` +
      `\n        <state>${call.phase === 'confirmed' ? 'proceeding' : call.phase}</state>` +
      `\n        <local>\n            <identity>${escape(context.entity)}</identity>\n        </local>` +
      `\n        <remote>\n            <identity>${escape(call.remote.uri)}</identity>\n        </remote>\n    </dialog>`,
  );
  return `<?xml version="1.0"?>\n<dialog-info xmlns="${NS}" state="full" version="${context.version}">${dialogs.join('')}\n</dialog-info>`;
}

/** innovaphone on answer: the early dialog reported terminated, then the same id as proceeding. */
export function innovaphoneAnswer(call: SimCall, context: RenderContext): [string, string] {
  return [
    innovaphone([{ ...call, phase: 'terminated' }], context),
    innovaphone([{ ...call, phase: 'confirmed' }], { ...context, version: context.version + 1 }),
  ];
}

/**
 * Asterisk res_pjsip: one dialog whose id is the extension, no call-id or tags, idle as a terminated
 * dialog, hold as `pvalue`, `local` before `state`.
 */
function asterisk(calls: readonly SimCall[], context: RenderContext): string {
  const live = calls.filter((call) => call.phase !== 'terminated');
  const call =
    live.find((candidate) => candidate.phase === 'early' && candidate.direction === 'recipient') ?? live[0];
  // As res_pjsip_dialog_info_body_generator.c writes it (test/vectors/asterisk/): a call that rings at the
  // extension is early with the caller's caller ID; any other live call, one it places too, is confirmed.
  const ringing = call?.phase === 'early' && call.direction === 'recipient';
  const caller =
    call == null || !ringing
      ? ''
      : `<remote><identity${call.remote.display == null ? '' : ` display="${escape(call.remote.display)}"`}>${escape(call.remote.uri)}</identity><target uri="${escape(call.remote.uri)}"/></remote>` +
        `<local><identity>${escape(context.entity)}</identity><target uri="${escape(context.entity)}"/></local>`;
  const dialog =
    call == null
      ? `<dialog id="${escape(context.number)}"><state>terminated</state></dialog>`
      : `<dialog id="${escape(context.number)}"${ringing ? ' direction="recipient"' : ''}>` +
        caller +
        (call.held
          ? `<local><target uri="${escape(context.entity)}"><param pname="+sip.rendering" pvalue="no"/></target></local>`
          : '') +
        `<state>${ringing ? 'early' : 'confirmed'}</state></dialog>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<dialog-info xmlns="${NS}" version="${context.version}" state="full" entity="${escape(context.entity)}">${dialog}</dialog-info>`;
}

/**
 * FreeSWITCH: the remote target of a ringing dialog is the intercept URI `sip:**<ext>@host`; a held
 * call is reported `early` with `+sip.rendering` no; idle is a document with no dialog.
 */
function freeswitch(calls: readonly SimCall[], context: RenderContext): string {
  const dialogs = calls
    .filter((call) => call.phase !== 'terminated')
    .map((call) => {
      const phase = call.held ? 'early' : call.phase;
      const target =
        call.phase === 'early' && call.direction === 'recipient'
          ? `sip:**${context.number}@${context.host}`
          : call.remote.uri;
      return (
        `<dialog id="${escape(call.id)}" direction="${call.direction}"><state>${phase}</state>` +
        participant('local', context.entity, null, context.entity, call.held, true) +
        participant('remote', call.remote.uri, call.remote.display, target) +
        '</dialog>'
      );
    });
  return `<?xml version="1.0"?>\n<dialog-info xmlns="${NS}" version="${context.version}" state="full" entity="${escape(context.entity)}">${dialogs.join('')}</dialog-info>`;
}

/** Kamailio pua_dialoginfo: `padi-` ids, tags only in the early document, terminated dialogs linger. */
function kamailio(calls: readonly SimCall[], context: RenderContext): string {
  const dialogs = calls.map((call) => {
    const tags =
      call.phase === 'early'
        ? ` local-tag="${escape(call.localTag)}" remote-tag="${escape(call.remoteTag)}"`
        : '';
    return (
      `\n  <dialog id="padi-${escape(call.id)}" call-id="${escape(call.callId)}"${tags} direction="${call.direction}">` +
      `\n    <state>${call.phase}</state>` +
      `\n    ${participant('remote', call.remote.uri, call.remote.display, call.remote.uri)}` +
      `\n    ${participant('local', context.entity, null, context.entity, call.held)}` +
      '\n  </dialog>'
    );
  });
  return `<?xml version="1.0"?>\n<dialog-info xmlns="${NS}" version="${context.version}" state="full" entity="${escape(context.entity)}">${dialogs.join('')}\n</dialog-info>`;
}
