/**
 * The dialog-info reader: one `application/dialog-info+xml` body (RFC 4235 §4) in, a typed document or a
 * typed error out. Pure: no I/O, never throws, and bounded in time by the size cap and the parser's
 * nesting cap.
 *
 * Refused: bodies over 64 KiB, any `<!DOCTYPE` (fast-xml-parser expands internal entities, so entity
 * tricks are stopped before parsing), malformed XML (always a validated parse), nesting deeper than
 * any real dialog-info needs, and a root that is not `dialog-info`.
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

/** Bodies larger than this are refused unread (issue 2; a 1,000-dialog document still fits). */
export const MAX_BODY_BYTES = 64 * 1024;
/** Real dialog-info nests 5 levels (dialog-info/dialog/local/target/param); anything past this is hostile. */
const MAX_DEPTH = 32;

const ARRAY_ELEMENTS = new Set(['dialog', 'identity', 'target', 'param']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Numeric character references (`&#32;`) are decoded only with htmlEntities set (DEVELOPERS.md);
  // the HTML names it adds (`&nbsp;`) are harmless in a dialog-info document.
  htmlEntities: true,
  maxNestedTags: MAX_DEPTH,
  isArray: (name: string) => ARRAY_ELEMENTS.has(name),
});

type XmlValue = string | XmlElement | XmlValue[];
interface XmlElement {
  [name: string]: XmlValue | undefined;
}

function fail(code: ReadErrorCode, message: string): { ok: false; error: ReadError } {
  return { ok: false, error: { code, message } };
}

const EMPTY_DOCUMENT: DialogInfoDocument = { entity: null, version: null, state: 'full', dialogs: [] };

export function readDialogInfo(body: string): ReadResult {
  if (body.length > MAX_BODY_BYTES || Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) {
    return fail(
      'too-large',
      `body is ${Buffer.byteLength(body, 'utf8')} bytes, over the ${MAX_BODY_BYTES}-byte limit`,
    );
  }
  if (body.trim() === '') return { ok: true, document: { ...EMPTY_DOCUMENT, dialogs: [] } };
  if (/<!DOCTYPE/i.test(body))
    return fail('doctype', 'body has a <!DOCTYPE> declaration, refused (entity expansion)');

  let parsed: unknown;
  try {
    parsed = parser.parse(body, true);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/nested tags/i.test(text)) return fail('too-deep', `XML nests deeper than ${MAX_DEPTH} elements`);
    return fail('malformed-xml', `malformed XML: ${text}`);
  }
  if (parsed === true || parsed == null || typeof parsed !== 'object') {
    return fail('malformed-xml', 'malformed XML: no element found');
  }
  const roots = Object.keys(parsed);
  if (roots.length !== 1 || roots[0] !== 'dialog-info') {
    return fail(
      'not-dialog-info',
      `root element is <${roots.join('>, <') || 'none'}>, expected <dialog-info>`,
    );
  }
  const root = (parsed as XmlElement)['dialog-info'];
  if (Array.isArray(root)) return fail('not-dialog-info', 'more than one <dialog-info> root');
  return { ok: true, document: readDocument(root) };
}

function readDocument(root: XmlValue | undefined): DialogInfoDocument {
  if (root == null || typeof root === 'string' || Array.isArray(root))
    return { ...EMPTY_DOCUMENT, dialogs: [] };
  const entity = attribute(root, 'entity');
  const dialogs = elements(root['dialog']).map(readDialog);
  return {
    entity: entity == null ? null : withScheme(entity),
    version: readVersion(attribute(root, 'version')),
    // RFC 4235 §4.1 prints `notify-state`; with neither, the document lists every dialog (§3.3).
    state:
      (attribute(root, 'state') ?? attribute(root, 'notify-state'))?.toLowerCase() === 'partial'
        ? 'partial'
        : 'full',
    dialogs,
  };
}

/** RFC 4235 §4.1: a non-negative integer. Anything else (garbage, `...`, past 2^53) reads as absent. */
function readVersion(value: string | null): number | null {
  if (value == null || !/^\d{1,16}$/.test(value)) return null;
  const version = Number(value);
  return Number.isSafeInteger(version) ? version : null;
}

function readDialog(node: XmlValue): DialogInfoDialog {
  const element = asElement(node);
  const stateNode = first(element['state']);
  const stateText = stateNode == null ? null : textOf(stateNode).toLowerCase();
  const stateElement = stateNode != null && typeof stateNode === 'object' ? asElement(stateNode) : null;
  const code = stateElement == null ? null : attribute(stateElement, 'code');
  return {
    id: attribute(element, 'id'),
    callId: attribute(element, 'call-id'),
    localTag: attribute(element, 'local-tag'),
    remoteTag: attribute(element, 'remote-tag'),
    direction: readDirection(attribute(element, 'direction')),
    state: stateText === '' ? null : stateText,
    // RFC 4235 §6.2 prints `reason=` where §4.1.2 defines `event=`.
    event:
      stateElement == null ? null : (attribute(stateElement, 'event') ?? attribute(stateElement, 'reason')),
    code: code != null && /^\d{3}$/.test(code) ? Number(code) : null,
    exclusive: textOf(first(element['exclusive']) ?? '').toLowerCase() === 'true',
    local: readParticipant(first(element['local'])),
    remote: readParticipant(first(element['remote'])),
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

function readParticipant(node: XmlValue | undefined): DialogParticipant {
  if (node == null || typeof node === 'string' || Array.isArray(node)) {
    return { identity: null, display: null, target: null, rendering: null };
  }
  const identities = elements(node['identity']).map((identity) => {
    const element = typeof identity === 'object' && !Array.isArray(identity) ? identity : null;
    // RFC 7463 §11.4 F10 writes the identity as a `uri` attribute with empty content.
    const uri = nonEmpty(textOf(identity)) ?? (element == null ? null : attribute(element, 'uri'));
    const display = element == null ? null : attribute(element, 'display');
    return { uri, display: display == null ? null : nonEmpty(display.replace(/\s+/g, ' ')) };
  });
  const chosen =
    identities.find((i) => i.uri != null && /^sips?:/i.test(i.uri)) ?? identities.find((i) => i.uri != null);
  const targets = elements(node['target']);
  let target: string | null = null;
  const params: XmlValue[] = elements(node['param']);
  for (const candidate of targets) {
    const element = typeof candidate === 'object' && !Array.isArray(candidate) ? candidate : null;
    target ??= (element == null ? null : attribute(element, 'uri')) ?? nonEmpty(textOf(candidate));
    if (element != null) params.push(...elements(element['param']));
  }
  return {
    identity: chosen?.uri ?? null,
    display: chosen?.display ?? null,
    target,
    rendering: readRendering(params),
  };
}

/** RFC 4235 §4.1.6.2 and RFC 3840: `+sip.rendering` says whether the participant renders media (no = held). */
function readRendering(params: XmlValue[]): 'yes' | 'no' | null {
  for (const param of params) {
    if (typeof param !== 'object' || Array.isArray(param)) continue;
    if (attribute(param, 'pname')?.toLowerCase() !== '+sip.rendering') continue;
    const value = (attribute(param, 'pval') ?? attribute(param, 'pvalue'))?.toLowerCase().replace(/"/g, '');
    if (value === 'no' || value === 'yes') return value;
  }
  return null;
}

function asElement(node: XmlValue): XmlElement {
  return typeof node === 'object' && !Array.isArray(node) ? node : {};
}

function elements(value: XmlValue | undefined): XmlValue[] {
  if (value == null) return [];
  return Array.isArray(value) ? [...value] : [value];
}

function first(value: XmlValue | undefined): XmlValue | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function attribute(element: XmlElement, name: string): string | null {
  const value = element[`@_${name}`];
  return typeof value === 'string' ? nonEmpty(value) : null;
}

function textOf(node: XmlValue | undefined): string {
  if (node == null) return '';
  if (typeof node === 'string') return node.trim();
  if (Array.isArray(node)) return node.map(textOf).join('').trim();
  const text = node['#text'];
  return text == null ? '' : textOf(text);
}

function nonEmpty(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}
