/**
 * The answer lampfield gives the desk phone's offer when it holds no media itself (RFC 3725 §4 flow I:
 * the phone was called without an offer, offers in its 2xx, and lampfield answers in the ACK), pure.
 *
 * RFC 3264 §6: one m-line per offered m-line, in the same order; a stream refused has port 0 (and keeps
 * its media type, transport and one of its formats, RFC 4566 §5.14); the `t=` line is the offer's. The
 * first audio stream is accepted `a=inactive` (RFC 3264 §5.1: no media flows either way) with one
 * payload type the phone offered: PCMU or PCMA when offered, else another static codec, else the first
 * dynamic codec with the phone's own rtpmap and fmtp (RFC 3264 §6.1: an answerer uses the offerer's
 * payload type numbers). Where the answer reaches a B2BUA that takes `inactive` for a hold, the stream is
 * `recvonly` instead: lampfield sends nothing, and what comes goes to port 9, discard (RFC 863); the
 * dialect says which (src/blf/dialects.ts `answerDirection`). Every other stream (video, a second audio,
 * anything else) is refused. An SRTP stream (RTP/SAVP, SDES, RFC 4568 §5.1.2) is answered with the
 * offered suite and tag and a key of ours; one lampfield cannot key (DTLS, an unknown suite) is refused.
 */

export interface AnswerSource {
  /** Our IPv4 address, for `o=` and `c=` (media sent to it goes to port 9, discard). */
  address: string;
  /** `o=`'s session id and version (RFC 4566 §5.2: an NTP timestamp is suggested). */
  sessionId: number;
  /** `n` random bytes, for an SRTP master key (RFC 4568 §6.1). */
  randomBytes: (n: number) => Uint8Array;
}

interface OfferedMedia {
  type: string;
  port: number;
  proto: string;
  formats: string[];
  attributes: string[];
}

/** Formats that carry no voice: DTMF events, comfort noise, redundancy and repair (RFC 4733, 3389, 2198). */
const NOT_A_CODEC = /^(telephone-event|cn|red|ulpfec|flexfec|rtx)\//i;
/** Static payload types (RFC 3551 §6) that are no codec to answer with: 13 is comfort noise. */
const STATIC_NOT_A_CODEC = new Set(['13', '19']);
/** The static types a desk phone is surest to take, best first, with their RFC 3551 rtpmap. */
const G711: readonly (readonly [string, string])[] = [
  ['0', 'PCMU/8000'],
  ['8', 'PCMA/8000'],
];
/** SDES suites lampfield can key, with their master key and salt length in bytes (RFC 4568 §6.2). */
const SDES_KEY_BYTES: Readonly<Record<string, number>> = {
  AES_CM_128_HMAC_SHA1_80: 30,
  AES_CM_128_HMAC_SHA1_32: 30,
};

/** The answer to `offer` (an SDP body), or null when it holds no stream to answer. */
export function answerWithoutMedia(
  offer: string,
  source: AnswerSource,
  direction: 'inactive' | 'recvonly' = 'inactive',
): string | null {
  const lines = offer.split(/\r?\n/).map((line) => line.trim());
  const media: OfferedMedia[] = [];
  let timing = 't=0 0';
  for (const line of lines) {
    const m = /^m=(\S+) (\d+)(?:\/\d+)? (\S+)((?: \S+)*)$/.exec(line);
    if (m != null) {
      const formats = m[4]!.trim().split(/\s+/).filter(Boolean);
      media.push({ type: m[1]!, port: Number(m[2]), proto: m[3]!, formats, attributes: [] });
    } else if (line.startsWith('a=') && media.length > 0) media.at(-1)!.attributes.push(line.slice(2));
    else if (line.startsWith('t=') && media.length === 0) timing = line;
  }
  if (media.length === 0) return null;
  let audioTaken = false;
  const body = media.flatMap((stream) => {
    if (!audioTaken && stream.type === 'audio' && stream.port !== 0) {
      const accepted = acceptAudio(stream, source, direction);
      if (accepted != null) {
        audioTaken = true;
        return accepted;
      }
    }
    return [`m=${stream.type} 0 ${stream.proto} ${stream.formats[0] ?? '0'}`];
  });
  return [
    'v=0',
    `o=lampfield ${source.sessionId} ${source.sessionId} IN IP4 ${source.address}`,
    's=lampfield',
    `c=IN IP4 ${source.address}`,
    timing,
    ...body,
    '',
  ].join('\r\n');
}

/** The lines of the accepted audio stream, or null when no offered format or key can be answered. */
function acceptAudio(
  stream: OfferedMedia,
  source: AnswerSource,
  direction: 'inactive' | 'recvonly',
): string[] | null {
  const rtpmap = new Map<string, string>();
  const fmtp = new Map<string, string>();
  for (const attribute of stream.attributes) {
    const map = /^rtpmap:(\d+) (.+)$/.exec(attribute);
    if (map != null) rtpmap.set(map[1]!, map[2]!.trim());
    const parameters = /^fmtp:(\d+) (.+)$/.exec(attribute);
    if (parameters != null) fmtp.set(parameters[1]!, parameters[2]!.trim());
  }
  const isCodec = (pt: string) =>
    /^\d+$/.test(pt) &&
    !NOT_A_CODEC.test(rtpmap.get(pt) ?? '') &&
    !(Number(pt) < 96 && STATIC_NOT_A_CODEC.has(pt));
  const offered = stream.formats.filter(isCodec);
  const chosen =
    G711.map(([pt]) => pt).find((pt) => offered.includes(pt)) ??
    offered.find((pt) => Number(pt) < 96) ??
    offered.find((pt) => rtpmap.has(pt));
  if (chosen == null) return null;
  const lines = [`m=audio 9 ${stream.proto} ${chosen}`];
  const map = rtpmap.get(chosen) ?? G711.find(([pt]) => pt === chosen)?.[1];
  if (map != null) lines.push(`a=rtpmap:${chosen} ${map}`);
  if (fmtp.has(chosen)) lines.push(`a=fmtp:${chosen} ${fmtp.get(chosen)}`);
  if (/SAVP/.test(stream.proto)) {
    const crypto = sdesAnswer(stream.attributes, stream.proto, source);
    if (crypto == null) return null;
    lines.push(crypto);
  }
  lines.push(`a=${direction}`);
  return lines;
}

/** RFC 4568 §5.1.2: the first offered crypto line lampfield can key, answered with the same tag and suite. */
function sdesAnswer(attributes: readonly string[], proto: string, source: AnswerSource): string | null {
  // DTLS-SRTP (RFC 5763) keys through a handshake on the media path, which an inactive stream never has.
  if (proto.startsWith('UDP/TLS/')) return null;
  for (const attribute of attributes) {
    const crypto = /^crypto:(\d+) (\S+) inline:/.exec(attribute);
    const bytes = crypto == null ? undefined : SDES_KEY_BYTES[crypto[2]!];
    if (crypto == null || bytes == null) continue;
    const key = Buffer.from(source.randomBytes(bytes)).toString('base64');
    return `a=crypto:${crypto[1]} ${crypto[2]} inline:${key}`;
  }
  return null;
}
