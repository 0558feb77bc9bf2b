/**
 * XML bodies of NOTIFYs as lampfield reads them (dialog-info, RFC 4235; reginfo, RFC 3680): the size
 * cap, the refusal of any `<!DOCTYPE`, a validated parse with a nesting cap, and the small helpers the
 * readers walk the parsed document with. Pure: no I/O, never throws.
 */
import { XMLParser } from 'fast-xml-parser';

/**
 * Bodies larger than this are refused unread (BRIEF §10). A 1,000-dialog document is 75 KB; over UDP a
 * body cannot pass 64 KiB anyway (one datagram), over TCP the stream framer holds bodies to the same cap
 * (src/sip/stream-framer.ts). Parsing is linear in the size: about 140 ms for 1 MiB on a desktop core.
 */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Real dialog-info nests 5 levels (dialog-info/dialog/local/target/param), reginfo 4; past this is hostile. */
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
  // Numeric character references (`&#32;`) are decoded only with htmlEntities set (fast-xml-parser 5). An
  // object (no extra names) rather than `true`, whose HTML name table halves the parse rate. The typings
  // say boolean; the parser reads an object as the table of named entities.
  htmlEntities: {} as unknown as boolean,
  maxNestedTags: MAX_DEPTH,
  // Callbacks would get the parser's path matcher instead of a path string built for every element.
  jPath: false,
});

/** One node of the parser's ordered output: an element or a text node. */
export interface XmlNode {
  [nameOrText: string]: XmlNode[] | Readonly<Record<string, string>> | string | undefined;
}

export type XmlBodyErrorCode = 'too-large' | 'doctype' | 'malformed-xml' | 'too-deep';

/**
 * Parses one XML body of a NOTIFY: its root elements (text and declarations left out), or why it
 * cannot be read. Never throws; an empty body is for the caller to mean what its package says.
 */
export function parseXmlBody(
  body: string,
): { ok: true; roots: XmlNode[] } | { ok: false; code: XmlBodyErrorCode; message: string } {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: count bytes only when that could pass the cap.
  const bytes = body.length * 3 > MAX_BODY_BYTES ? Buffer.byteLength(body, 'utf8') : body.length;
  if (bytes > MAX_BODY_BYTES) {
    return {
      ok: false,
      code: 'too-large',
      message: `body is ${bytes} bytes, over the ${MAX_BODY_BYTES}-byte limit`,
    };
  }
  if (body.includes('<!') && /<!DOCTYPE/i.test(body)) {
    return {
      ok: false,
      code: 'doctype',
      message: 'body has a <!DOCTYPE> declaration, refused (entity expansion)',
    };
  }
  let parsed: unknown;
  try {
    parsed = parser.parse(body, true);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/nested tags/i.test(text))
      return { ok: false, code: 'too-deep', message: `XML nests deeper than ${MAX_DEPTH} elements` };
    return { ok: false, code: 'malformed-xml', message: `malformed XML: ${text}` };
  }
  const roots = Array.isArray(parsed) ? (parsed as XmlNode[]).filter((node) => nameOf(node) != null) : [];
  if (roots.length === 0)
    return { ok: false, code: 'malformed-xml', message: 'malformed XML: no element found' };
  return { ok: true, roots };
}

/** The namespace the root element is in, as declared on it (for its prefix, if any); null if none is. */
export function rootNamespace(root: XmlNode): string | null {
  const name = nameOf(root) ?? '';
  const prefix = name.includes(':') ? name.slice(0, name.indexOf(':')) : null;
  return attribute(root, prefix == null ? 'xmlns' : `xmlns:${prefix}`)?.trim() ?? null;
}

/** The element name of a node; null for a text node. */
export function nameOf(node: XmlNode): string | null {
  for (const key in node) if (key !== ':@' && key !== '#text') return key;
  return null;
}

export function localName(name: string): string {
  return name.slice(name.indexOf(':') + 1);
}

export function contentOf(element: XmlNode): readonly XmlNode[] {
  const name = nameOf(element);
  const content = name == null ? undefined : element[name];
  return Array.isArray(content) ? content : [];
}

/** The child elements with a local name: `dialog` finds `dialog` and, prefixed, `di:dialog`. */
export function children(element: XmlNode, name: string): XmlNode[] {
  const found: XmlNode[] = [];
  for (const node of contentOf(element)) {
    const nodeName = nameOf(node);
    if (nodeName != null && (nodeName === name || localName(nodeName) === name)) found.push(node);
  }
  return found;
}

export function attribute(element: XmlNode, name: string): string | null {
  const attributes = element[':@'];
  if (attributes == null || typeof attributes !== 'object' || Array.isArray(attributes)) return null;
  const value = attributes[name];
  return typeof value === 'string' ? nonEmpty(value) : null;
}

/** The element's own text (CDATA included), trimmed. */
export function textOf(element: XmlNode): string {
  let text = '';
  for (const node of contentOf(element)) {
    const value = node['#text'];
    if (typeof value === 'string') text += value;
  }
  return text.trim();
}

export function nonEmpty(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * The one root element of a body's `roots` when it is `<name>` in the namespace `namespace`, or in none
 * (notifiers leave it out); else why not, in words naming the document type (`spec`).
 */
export function expectedRoot(
  roots: readonly XmlNode[],
  name: string,
  namespace: string,
  spec: string,
): { ok: true; root: XmlNode } | { ok: false; message: string } {
  const root = roots[0]!;
  const found = nameOf(root)!;
  const declared = rootNamespace(root);
  if (roots.length === 1 && localName(found) === name && (declared == null || declared === namespace))
    return { ok: true, root };
  const where = declared == null ? '' : ` in ${declared}`;
  return { ok: false, message: `root element is <${found}>${where}, expected <${name}> (${spec})` };
}
