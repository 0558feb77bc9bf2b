/**
 * Reading SIP message text as a person copies it from a trace (RFC 3261 §7), pure. Used by
 * `lampfield decode`; tolerant of what copying does to a message: LF for CRLF, leading lines from the
 * capture tool, the response that followed, a Content-Length that no longer matches.
 */
import type { NotifyParts } from '../blf/dialog-notify.ts';

export interface SipMessageText {
  /** The request method (`NOTIFY`), or null for a response. */
  method: string | null;
  /** Header fields in order, names as written, folded lines joined (RFC 3261 §7.3.1). */
  headers: readonly (readonly [string, string])[];
  body: string;
}

const REQUEST_LINE = /^([A-Za-z][A-Za-z0-9.!%*_+`'~-]*) +\S+ +SIP\/2\.0[ \t]*$/;
const STATUS_LINE = /^SIP\/2\.0 +\d{3}\b/;

/** RFC 3261 §7.3.3 compact forms, with RFC 6665's `o` (Event) and `u` (Allow-Events). */
const COMPACT: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  u: 'allow-events',
  r: 'refer-to',
  b: 'referred-by',
};

/** True when the text holds a SIP request line, rather than being a bare body. */
export function looksLikeSipMessage(text: string): boolean {
  const start = text.trimStart();
  if (start.startsWith('<')) return false;
  return text.split(/\r?\n/).some((line) => REQUEST_LINE.test(line) || STATUS_LINE.test(line));
}

/** A request read from the text, with the line its request line is on (from 1). */
export interface SipRequestText extends SipMessageText {
  line: number;
}

/**
 * Every request in the text, in order: a copied trace, sngrep's saved text or Wireshark's "Follow UDP
 * stream" holds several, with responses and the capture tool's own lines between them. A request's body
 * runs from the blank line after its headers to the next start line or the end; what follows the line
 * where an XML body's root element closes (the prose of a wiki page, sngrep's next timestamp line) is
 * not part of it. Content-Length is not trusted: copying changes line ends and so the length.
 */
export function readRequests(text: string): SipRequestText[] {
  const lines = text.split(/\r?\n/);
  const requests: SipRequestText[] = [];
  let index = lines.findIndex((line) => REQUEST_LINE.test(line));
  while (index >= 0 && index < lines.length) {
    const start = index;
    const method = REQUEST_LINE.exec(lines[start]!)![1]!.toUpperCase();
    const headers: [string, string][] = [];
    for (index = start + 1; index < lines.length; index++) {
      const line = lines[index]!;
      if (line.trim() === '') break;
      const last = headers[headers.length - 1];
      if (/^[ \t]/.test(line) && last != null) {
        last[1] = `${last[1]} ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
    const bodyLines: string[] = [];
    // A sipfrag (RFC 3420, a REFER's NOTIFY) is itself a start line and headers: it ends at a blank line.
    const sipfrag = /^message\/sipfrag\b/i.test(
      headers.find(([name]) => /^(content-type|c)$/i.test(name))?.[1] ?? '',
    );
    for (index += 1; index < lines.length; index++) {
      const line = lines[index]!;
      if (
        sipfrag
          ? line.trim() === '' && bodyLines.length > 0
          : REQUEST_LINE.test(line) || STATUS_LINE.test(line)
      )
        break;
      bodyLines.push(line);
    }
    requests.push({ method, headers, body: withoutTrailer(bodyLines), line: start + 1 });
    // The next request: a response between is skipped.
    while (index < lines.length && !REQUEST_LINE.test(lines[index]!)) index++;
  }
  return requests;
}

/** The first request in the text, or null when it holds none. */
export function readFirstRequest(text: string): SipMessageText | null {
  return readRequests(text)[0] ?? null;
}

/** An XML body's lines up to the one where its root element closes; any other body, whole. */
function withoutTrailer(bodyLines: readonly string[]): string {
  const body = bodyLines.join('\n').trim();
  // The root element: the first tag that is not a declaration, processing instruction or comment.
  const root = /^(?:\s*(?:<\?[^]*?\?>|<!--[^]*?-->))*\s*<([A-Za-z_][\w.:-]*)/.exec(body)?.[1];
  if (root == null) return body;
  const close = body.lastIndexOf(`</${root}`);
  const end = close < 0 ? -1 : body.indexOf('\n', close);
  return end < 0 ? body : body.slice(0, end).trim();
}

/** A header's value (the first, for a header given more than once), by full or compact name. */
export function headerValue(message: SipMessageText, name: string): string | null {
  const wanted = name.toLowerCase();
  for (const [field, value] of message.headers) {
    const lower = field.toLowerCase();
    if ((COMPACT[lower] ?? lower) === wanted) return value;
  }
  return null;
}

/** The message as the NOTIFY reader takes it. */
export function notifyParts(message: SipMessageText): NotifyParts {
  return { header: (name) => headerValue(message, name), body: message.body };
}
