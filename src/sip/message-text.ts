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

/**
 * The first request in the text. Its body runs from the blank line after the headers to the next start
 * line (a copied trace often holds the 200 OK after it) or the end, without trailing blank lines.
 * Returns null when the text holds no request.
 */
export function readFirstRequest(text: string): SipMessageText | null {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((line) => REQUEST_LINE.test(line));
  if (start < 0) return null;
  const method = REQUEST_LINE.exec(lines[start]!)![1]!.toUpperCase();
  const headers: [string, string][] = [];
  let index = start + 1;
  for (; index < lines.length; index++) {
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
  for (index += 1; index < lines.length; index++) {
    const line = lines[index]!;
    if (REQUEST_LINE.test(line) || STATUS_LINE.test(line)) break;
    bodyLines.push(line);
  }
  return { method, headers, body: bodyLines.join('\n').trim() };
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
