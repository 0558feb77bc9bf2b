/**
 * Cuts a SIP byte stream (TCP) into messages, RFC 3261 §18.3: a message's headers end at the first empty
 * line, and its body is exactly Content-Length bytes. Pure: bytes in (a `binary` string, one character per
 * byte), framed messages out.
 *
 * Ours rather than the `sip` package's stream parser, which re-runs a regular expression over everything
 * buffered on every chunk (quadratic in the message's size), silently drops a message without
 * Content-Length, and caps bodies at 590 KB. Here every byte is looked at a bounded number of times, so a
 * 1 MiB dialog-info document (some 13,000 dialogs) frames in linear time.
 *
 * Limits, so a peer cannot make the buffer grow: headers past `maxHeaderBytes` without an empty line are a
 * flood (the caller drops the connection). A body past `maxBodyBytes` is not kept: its headers are handed
 * up as `too-large` (to be answered 413, RFC 3261 §21.4.14) and its bytes are skipped as they arrive, so
 * the stream stays framed and the connection usable.
 */

import { MAX_BODY_BYTES } from '../blf/xml-body.ts';

export interface StreamFramerLimits {
  maxHeaderBytes: number;
  maxBodyBytes: number;
}

/** Headers: the package's own cap (60,480) rounded up; no real SIP message has 64 KiB of headers. */
export const STREAM_HEADER_LIMIT = 64 * 1024;
/** Bodies: the dialog-info reader's own cap (a 1,000-dialog document is 75 KB; 1 MiB some 13,000). */
export const STREAM_BODY_LIMIT = MAX_BODY_BYTES;

export type Framed =
  /** A whole message, headers and body, ready for the SIP parser. */
  | { kind: 'message'; text: string }
  /** A message whose body is over the limit: its headers only (ending in the empty line) and the length it declared. */
  | { kind: 'too-large'; head: string; declared: number }
  /** Headers past the limit, or a Content-Length that cannot frame the stream: the stream is lost. */
  | { kind: 'broken'; reason: string };

const END_OF_HEADERS = '\r\n\r\n';
// RFC 3261 §7.3.3: `l` is Content-Length's compact form. A header line, case-insensitive (§7.3.1).
const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*$/gim;

export class SipStreamFramer {
  /** Chunks of the headers being read, and the last three characters searched (an empty line may straddle chunks). */
  private head: string[] = [];
  private headLength = 0;
  private tail = '';
  /** The body being read: its chunks, and how many bytes are still to come. */
  private body: string[] = [];
  /** The length of `body`'s chunks together. */
  private bodyBytes = 0;
  private bodyHead = '';
  private bodyLeft = -1;
  /** Bytes of a refused body still to skip. */
  private skipLeft = 0;
  private broken = false;

  constructor(
    private readonly limits: StreamFramerLimits = {
      maxHeaderBytes: STREAM_HEADER_LIMIT,
      maxBodyBytes: STREAM_BODY_LIMIT,
    },
  ) {}

  /** Bytes held for the message being read (its headers, or its body so far); 0 between messages. */
  get heldBytes(): number {
    return this.headLength + this.bodyBytes;
  }

  /** Whether a message has begun and not ended: the peer owes the rest of it. */
  get midMessage(): boolean {
    return this.headLength > 0 || this.bodyLeft >= 0 || this.skipLeft > 0;
  }

  /** Feeds the next bytes; returns the messages they complete, in order. After `broken`, nothing more. */
  push(data: string): Framed[] {
    const out: Framed[] = [];
    let rest = data;
    while (rest.length > 0 && !this.broken) {
      if (this.skipLeft > 0) {
        const skipped = Math.min(this.skipLeft, rest.length);
        this.skipLeft -= skipped;
        rest = rest.slice(skipped);
      } else if (this.bodyLeft >= 0) {
        rest = this.takeBody(rest, out);
      } else {
        rest = this.takeHead(rest, out);
      }
    }
    return out;
  }

  private takeBody(data: string, out: Framed[]): string {
    const taken = Math.min(this.bodyLeft, data.length);
    this.body.push(data.slice(0, taken));
    this.bodyBytes += taken;
    this.bodyLeft -= taken;
    if (this.bodyLeft === 0) {
      out.push({ kind: 'message', text: this.bodyHead + this.body.join('') });
      this.body = [];
      this.bodyBytes = 0;
      this.bodyHead = '';
      this.bodyLeft = -1;
    }
    return data.slice(taken);
  }

  private takeHead(data: string, out: Framed[]): string {
    // RFC 3261 §7.5: CRLFs before a message are ignored (RFC 5626 §3.5.1 keepalives are CRLFs, too).
    if (this.headLength === 0) {
      let start = 0;
      while (start < data.length && (data[start] === '\r' || data[start] === '\n')) start++;
      if (start === data.length) return '';
      data = data.slice(start);
    }
    // Search only the new bytes, with the three before them that an empty line may straddle: no byte is
    // searched twice, however small the chunks a peer sends.
    const found = (this.tail + data).indexOf(END_OF_HEADERS);
    if (found < 0) {
      this.head.push(data);
      this.headLength += data.length;
      this.tail = (this.tail + data).slice(-3);
      if (this.headLength > this.limits.maxHeaderBytes) {
        this.fail(out, `headers run past ${this.limits.maxHeaderBytes} bytes without an empty line`);
      }
      return '';
    }
    const endInData = found + END_OF_HEADERS.length - this.tail.length;
    this.head.push(data.slice(0, endInData));
    const head = this.head.join('');
    const rest = data.slice(endInData);
    this.head = [];
    this.headLength = 0;
    this.tail = '';
    if (head.length > this.limits.maxHeaderBytes) {
      this.fail(out, `headers are over ${this.limits.maxHeaderBytes} bytes`);
      return '';
    }
    const length = contentLength(head);
    if (length == null) {
      this.fail(out, 'Content-Length is no number, or given twice with different values');
      return '';
    }
    if (length > this.limits.maxBodyBytes) {
      out.push({ kind: 'too-large', head, declared: length });
      this.skipLeft = length;
      return rest;
    }
    if (length === 0) {
      out.push({ kind: 'message', text: head });
      return rest;
    }
    this.bodyHead = head;
    this.bodyLeft = length;
    return rest;
  }

  private fail(out: Framed[], reason: string): void {
    this.broken = true;
    this.head = [];
    this.headLength = 0;
    this.body = [];
    this.bodyBytes = 0;
    out.push({ kind: 'broken', reason });
  }
}

/**
 * The body length the headers declare: 0 when absent (RFC 3261 §18.3 makes it mandatory on a stream; a
 * message without one is read as having no body), null when it cannot frame the stream.
 */
function contentLength(head: string): number | null {
  let length: number | null = 0;
  let seen = false;
  for (const match of head.matchAll(CONTENT_LENGTH)) {
    const value = match[1]!;
    if (!/^\d{1,10}$/.test(value)) return null;
    const parsed = Number(value);
    if (seen && parsed !== length) return null;
    length = parsed;
    seen = true;
  }
  return length;
}
