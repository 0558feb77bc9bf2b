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
import { XMLParser } from 'fast-xml-parser';
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

/**
 * Bodies larger than this are refused unread (BRIEF §10). A 1,000-dialog document is 75 KB; over UDP a
 * body cannot pass 64 KiB anyway (one datagram), over TCP the stream framer holds bodies to the same cap
 * (src/sip/stream-framer.ts). Parsing is linear in the size: about 140 ms for 1 MiB on a desktop core.
 */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Real dialog-info nests 5 levels (dialog-info/dialog/local/target/param); anything past this is hostile. */
const MAX_DEPTH = 32;

/**
 * The parser keeps document order (`preserveOrder`): every element is `{ name: children, ':@': attributes }`
 * and text is `{ '#text': … }`. Reading that shape directly skips the parser's conversion to plain
 * objects, a fifth of its work. Names keep their namespace prefix (`di:dialog`); the reader compares local
 * names itself, which costs less than the parser's removeNSPrefix on every element.
 */
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Numeric character references (`&#32;`) are decoded only with htmlEntities set (DEVELOPERS.md). An
  // object (no extra names) rather than `true`, whose HTML name table halves the parse rate. The typings
  // say boolean; the parser reads an object as the table of named entities.
  htmlEntities: {} as unknown as boolean,
  maxNestedTags: MAX_DEPTH,
  // Callbacks would get the parser's path matcher instead of a path string built for every element.
  jPath: false,
});

/** One node of the parser's ordered output: an element or a text node. */
interface XmlNode {
  [nameOrText: string]: XmlNode[] | Readonly<Record<string, string>> | string | undefined;
}

function fail(code: ReadErrorCode, message: string): { ok: false; error: ReadError } {
  return { ok: false, error: { code, message } };
}

const EMPTY_DOCUMENT: DialogInfoDocument = { entity: null, version: null, state: 'full', dialogs: [] };

export function readDialogInfo(body: string): ReadResult {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: count bytes only when that could pass the cap.
  const bytes = body.length * 3 > MAX_BODY_BYTES ? Buffer.byteLength(body, 'utf8') : body.length;
  if (bytes > MAX_BODY_BYTES) {
    return fail('too-large', `body is ${bytes} bytes, over the ${MAX_BODY_BYTES}-byte limit`);
  }
  if (body.trim() === '') return { ok: true, document: { ...EMPTY_DOCUMENT, dialogs: [] } };
  if (body.includes('<!') && /<!DOCTYPE/i.test(body)) {
    return fail('doctype', 'body has a <!DOCTYPE> declaration, refused (entity expansion)');
  }

  let parsed: unknown;
  try {
    parsed = parser.parse(body, true);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/nested tags/i.test(text)) return fail('too-deep', `XML nests deeper than ${MAX_DEPTH} elements`);
    return fail('malformed-xml', `malformed XML: ${text}`);
  }
  const roots = Array.isArray(parsed) ? (parsed as XmlNode[]).filter((node) => nameOf(node) != null) : [];
  if (roots.length === 0) return fail('malformed-xml', 'malformed XML: no element found');
  const names = roots.map((node) => nameOf(node)!);
  if (roots.length !== 1 || localName(names[0]!) !== 'dialog-info') {
    return fail('not-dialog-info', `root element is <${names.join('>, <')}>, expected <dialog-info>`);
  }
  const root = roots[0]!;
  // RFC 4235 §4: the root is in the dialog-info namespace. None declared is tolerated (real notifiers
  // leave it out); another namespace is another document type, whatever its local name.
  const prefix = names[0]!.includes(':') ? names[0]!.slice(0, names[0]!.indexOf(':')) : null;
  const namespace = attribute(root, prefix == null ? 'xmlns' : `xmlns:${prefix}`);
  if (namespace != null && namespace.trim() !== DIALOG_INFO_NS) {
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

/** The element name of a node; null for a text node. */
function nameOf(node: XmlNode): string | null {
  for (const key in node) if (key !== ':@' && key !== '#text') return key;
  return null;
}

function localName(name: string): string {
  return name.slice(name.indexOf(':') + 1);
}

function contentOf(element: XmlNode): readonly XmlNode[] {
  const name = nameOf(element);
  const content = name == null ? undefined : element[name];
  return Array.isArray(content) ? content : [];
}

/** The child elements with a local name: `dialog` finds `dialog` and, prefixed, `di:dialog`. */
function children(element: XmlNode, name: string): XmlNode[] {
  const found: XmlNode[] = [];
  for (const node of contentOf(element)) {
    const nodeName = nameOf(node);
    if (nodeName != null && (nodeName === name || localName(nodeName) === name)) found.push(node);
  }
  return found;
}

function attribute(element: XmlNode, name: string): string | null {
  const attributes = element[':@'];
  if (attributes == null || typeof attributes !== 'object' || Array.isArray(attributes)) return null;
  const value = attributes[name];
  return typeof value === 'string' ? nonEmpty(value) : null;
}

/** The element's own text (CDATA included), trimmed. */
function textOf(element: XmlNode): string {
  let text = '';
  for (const node of contentOf(element)) {
    const value = node['#text'];
    if (typeof value === 'string') text += value;
  }
  return text.trim();
}

function nonEmpty(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}
