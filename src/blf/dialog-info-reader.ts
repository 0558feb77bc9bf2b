/**
 * The dialog-info reader: one `application/dialog-info+xml` body (RFC 4235 §4) in, a typed document or a
 * typed error out. Pure: no I/O, never throws, and bounded in time by the size cap and the parser's
 * nesting cap.
 *
 * Refused: bodies over 1 MiB, any `<!DOCTYPE` (fast-xml-parser expands internal entities, so entity
 * tricks are stopped before parsing), malformed XML (always a validated parse), nesting deeper than
 * any real dialog-info needs, a root that is not `dialog-info` (or is, in another namespace), and a
 * `version` that is no non-negative integer (it could not be ordered: RFC 4235 §4.1).
 *
 * Tolerated, because real notifiers send it (BRIEF §3, shared/notes/dialects.md): no `entity`, `entity`
 * without a scheme, no tags, empty tags, whitespace, case and CDATA in `<state>`, `pval` or `pvalue`,
 * prefixed namespaces or none at all, `notify-state` for `state`, elements out of schema order, a target
 * written as text, a `<param>` beside its `<target>`, several identities, an empty `<dialog-info/>`,
 * an empty body (Kamailio's first NOTIFY: no dialogs), unknown extension elements (RFC 7463 `sa:`).
 */
import type {
  DialogDirection,
  DialogInfoDialog,
  DialogInfoDocument,
  DialogParticipant,
  ReadError,
  ReadErrorCode,
  ReadResult,
} from './dialog-info.ts';
import { withScheme } from './uri.ts';
import {
  attribute,
  children,
  localName,
  nameOf,
  nonEmpty,
  parseXmlBody,
  rootNamespace,
  textOf,
  type XmlNode,
} from './xml-body.ts';

function fail(code: ReadErrorCode, message: string): { ok: false; error: ReadError } {
  return { ok: false, error: { code, message } };
}

const EMPTY_DOCUMENT: DialogInfoDocument = { entity: null, version: null, state: 'full', dialogs: [] };

export function readDialogInfo(body: string): ReadResult {
  if (body.trim() === '') return { ok: true, document: { ...EMPTY_DOCUMENT, dialogs: [] } };
  const parsed = parseXmlBody(body);
  if (!parsed.ok) return fail(parsed.code, parsed.message);
  const { roots } = parsed;
  const names = roots.map((node) => nameOf(node)!);
  if (roots.length !== 1 || localName(names[0]!) !== 'dialog-info') {
    return fail('not-dialog-info', `root element is <${names.join('>, <')}>, expected <dialog-info>`);
  }
  const root = roots[0]!;
  // RFC 4235 §4: the root is in the dialog-info namespace. None declared is tolerated (real notifiers
  // leave it out); another namespace is another document type, whatever its local name.
  const namespace = rootNamespace(root);
  if (namespace != null && namespace !== DIALOG_INFO_NS) {
    return fail('not-dialog-info', `root element is in namespace "${namespace}", expected ${DIALOG_INFO_NS}`);
  }
  const versionText = attribute(root, 'version');
  const version = readVersion(versionText);
  if (versionText != null && version == null) {
    return fail('bad-version', `version "${versionText}" is not a non-negative integer (RFC 4235 §4.1)`);
  }
  return { ok: true, document: readDocument(root, version) };
}

const DIALOG_INFO_NS = 'urn:ietf:params:xml:ns:dialog-info';

function readDocument(root: XmlNode, version: number | null): DialogInfoDocument {
  const entity = attribute(root, 'entity');
  return {
    entity: entity == null ? null : withScheme(entity),
    version,
    // RFC 4235 §4.1 prints `notify-state`; with neither, the document lists every dialog (§3.3).
    state:
      (attribute(root, 'state') ?? attribute(root, 'notify-state'))?.toLowerCase() === 'partial'
        ? 'partial'
        : 'full',
    dialogs: children(root, 'dialog').map(readDialog),
  };
}

/** RFC 4235 §4.1: a non-negative integer; null for anything else (garbage, `...`, -1, past 2^53). */
function readVersion(value: string | null): number | null {
  if (value == null || !/^\d{1,16}$/.test(value)) return null;
  const version = Number(value);
  return Number.isSafeInteger(version) ? version : null;
}

function readDialog(dialog: XmlNode): DialogInfoDialog {
  const state = children(dialog, 'state')[0];
  const stateText = state == null ? '' : textOf(state).toLowerCase();
  const code = state == null ? null : attribute(state, 'code');
  const exclusive = children(dialog, 'exclusive')[0];
  return {
    id: attribute(dialog, 'id'),
    callId: attribute(dialog, 'call-id'),
    localTag: attribute(dialog, 'local-tag'),
    remoteTag: attribute(dialog, 'remote-tag'),
    direction: readDirection(attribute(dialog, 'direction')),
    state: stateText === '' ? null : stateText,
    // RFC 4235 §6.2 prints `reason=` where §4.1.2 defines `event=`.
    event: state == null ? null : (attribute(state, 'event') ?? attribute(state, 'reason')),
    code: code != null && /^\d{3}$/.test(code) ? Number(code) : null,
    exclusive: exclusive != null && textOf(exclusive).toLowerCase() === 'true',
    local: readParticipant(children(dialog, 'local')[0]),
    remote: readParticipant(children(dialog, 'remote')[0]),
  };
}

function readDirection(value: string | null): DialogDirection | null {
  switch (value?.toLowerCase()) {
    case 'initiator':
      return 'initiator';
    case 'recipient':
    case 'receiver': // RFC 4235 §6.2 (erratum 771)
    case 'responder': // RFC 7463 §11.8
      return 'recipient';
    default:
      return null;
  }
}

function readParticipant(participant: XmlNode | undefined): DialogParticipant {
  if (participant == null) return { identity: null, display: null, target: null, rendering: null };
  const identities = children(participant, 'identity').map((identity) => {
    const display = attribute(identity, 'display');
    return {
      // RFC 7463 §11.4 F10 writes the identity as a `uri` attribute with empty content.
      uri: nonEmpty(textOf(identity)) ?? attribute(identity, 'uri'),
      display: display == null ? null : nonEmpty(display.replace(/\s+/g, ' ')),
    };
  });
  const chosen =
    identities.find((i) => i.uri != null && /^sips?:/i.test(i.uri)) ?? identities.find((i) => i.uri != null);
  let target: string | null = null;
  // RFC 4235 §6.2 (as printed) puts a <param> beside its <target>: read params from both places.
  const params = children(participant, 'param');
  for (const candidate of children(participant, 'target')) {
    target ??= attribute(candidate, 'uri') ?? nonEmpty(textOf(candidate));
    params.push(...children(candidate, 'param'));
  }
  return {
    identity: chosen?.uri ?? null,
    display: chosen?.display ?? null,
    target,
    rendering: readRendering(params),
  };
}

/**
 * RFC 4235 §4.1.6.2 and RFC 3840: `+sip.rendering` says whether the participant renders media (no =
 * held). RFC 4235's own example (§6.2) writes it without the `+`: both are read.
 */
function readRendering(params: readonly XmlNode[]): 'yes' | 'no' | null {
  for (const param of params) {
    const name = attribute(param, 'pname')?.toLowerCase();
    if (name !== '+sip.rendering' && name !== 'sip.rendering') continue;
    const value = (attribute(param, 'pval') ?? attribute(param, 'pvalue'))?.toLowerCase().replace(/"/g, '');
    if (value === 'no' || value === 'yes') return value;
  }
  return null;
}
