/**
 * `multipart/related` bodies (RFC 2387, framed as RFC 2046 §5.1.1 says), as a resource list server
 * sends its NOTIFYs (RFC 4662 §5): the parts, each with its headers and body, and the root part the
 * `start` parameter names. Pure: never throws; a body that does not frame is one error line.
 */

export interface BodyPart {
  /** The part's media type, lower case, without parameters (`application/dialog-info+xml`). */
  type: string | null;
  /** The part's Content-ID without its angle brackets (RFC 2392), as a `cid` in RLMI names it. */
  id: string | null;
  body: string;
}

export type MultipartResult =
  { ok: true; parts: BodyPart[]; start: string | null } | { ok: false; message: string };

/** More parts than any resource list lampfield watches (a 1,024-key console and its RLMI): a flood. */
const MAX_PARTS = 2048;

/** The value of parameter `name` of a header (quoted or a token), e.g. `boundary` of a Content-Type. */
export function headerParameter(header: string, name: string): string | null {
  const pattern = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i');
  const match = pattern.exec(header);
  return match == null ? null : (match[1] ?? match[2] ?? null);
}

/** The media type of a Content-Type header, lower case, without its parameters. */
export function mediaType(header: string | null): string | null {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type == null || type === '' ? null : type;
}

const withoutBrackets = (value: string | null) => value?.trim().replace(/^<(.*)>$/, '$1') ?? null;

/** Splits `body` by the boundary of its Content-Type `contentType`. */
export function readMultipart(contentType: string, body: string): MultipartResult {
  const boundary = headerParameter(contentType, 'boundary');
  if (boundary == null || boundary === '' || boundary.length > 70)
    return { ok: false, message: 'multipart body without a usable boundary parameter (RFC 2046 §5.1.1)' };
  const delimiter = `--${boundary}`;
  const first = body.startsWith(delimiter) ? 0 : body.indexOf(`\n${delimiter}`);
  if (first < 0) return { ok: false, message: `no part starts with --${boundary}` };
  const parts: BodyPart[] = [];
  // After the preamble, each delimiter line is "--boundary" (then "--" after the last part).
  let at = body.indexOf(delimiter, first);
  for (;;) {
    const lineEnd = body.indexOf('\n', at);
    if (body.startsWith('--', at + delimiter.length)) break; // the close delimiter
    if (lineEnd < 0) return { ok: false, message: 'the multipart body ends before its close delimiter' };
    const next = body.indexOf(`\n${delimiter}`, lineEnd);
    if (next < 0) return { ok: false, message: 'a part runs past the end of the multipart body' };
    if (parts.length >= MAX_PARTS) return { ok: false, message: `more than ${MAX_PARTS} parts` };
    // The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    const end = body[next - 1] === '\r' ? next - 1 : next;
    parts.push(readPart(body.slice(lineEnd + 1, end)));
    at = next + 1;
  }
  return { ok: true, parts, start: withoutBrackets(headerParameter(contentType, 'start')) };
}

function readPart(text: string): BodyPart {
  const blank = /\r?\n\r?\n/.exec(text);
  const head = blank == null ? text : text.slice(0, blank.index);
  const body = blank == null ? '' : text.slice(blank.index + blank[0].length);
  const headers = new Map<string, string>();
  // Header lines, folded ones joined (RFC 5322 §2.2.3).
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return {
    type: mediaType(headers.get('content-type') ?? null),
    id: withoutBrackets(headers.get('content-id') ?? null),
    body,
  };
}
