/**
 * The answer to a desk phone's offer (RFC 3264 §6), from real offers: liblinphone 5.1's and baresip
 * 1.0's (plain, opus only, SRTP), captured here from the phones themselves, and offers published in
 * public issue threads (a pjsip intercom, a G.711/G.726 user agent, a G.722 client). Whatever the offer,
 * the answer has its m-lines in order, one audio stream accepted inactive with a format the phone
 * offered, every other stream refused with port 0, and the offer's t= line.
 */
import { describe, expect, it } from 'vitest';
import { answerWithoutMedia } from '../../src/sip/sdp-answer.ts';
import { readVector } from '../support/vectors.ts';

const SOURCE = {
  address: '127.0.0.9',
  sessionId: 3914,
  randomBytes: (n: number) => new Uint8Array(n).fill(7),
};

/** The SDP body of a vector: a whole 200 OK (after its blank line) or a bare SDP file. */
function offerOf(file: string): string {
  const text = readVector(`desk-phones/${file}`);
  return file.endsWith('.sip') ? text.split(/\r?\n\r?\n/)[1]! : text;
}

const mLines = (sdp: string) => sdp.split(/\r?\n/).filter((line) => line.startsWith('m='));

/** Each stream of the answer: its m-line and its attributes. */
function streams(sdp: string): { m: string; attributes: string[] }[] {
  const out: { m: string; attributes: string[] }[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) out.push({ m: line, attributes: [] });
    else if (line.startsWith('a=') && out.length > 0) out.at(-1)!.attributes.push(line);
  }
  return out;
}

describe('the answer to a desk phone’s offer', () => {
  it.each([
    ['liblinphone-5.1-200-offer.sip', 'm=audio 9 RTP/AVP 0', ['a=rtpmap:0 PCMU/8000', 'a=inactive']],
    ['baresip-1.0-200-offer.sip', 'm=audio 9 RTP/AVP 0', ['a=rtpmap:0 PCMU/8000', 'a=inactive']],
    [
      'baresip-1.0-opus-200-offer.sip',
      'm=audio 9 RTP/AVP 96',
      ['a=rtpmap:96 opus/48000/2', 'a=fmtp:96 stereo=1;sprop-stereo=1', 'a=inactive'],
    ],
    [
      'baresip-1.0-srtp-200-offer.sip',
      'm=audio 9 RTP/SAVP 0',
      [
        'a=rtpmap:0 PCMU/8000',
        `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(30, 7).toString('base64')}`,
        'a=inactive',
      ],
    ],
    ['pjsip-dahua-offer.sdp', 'm=audio 9 RTP/AVP 0', ['a=rtpmap:0 PCMU/8000', 'a=inactive']],
    [
      'ua-g711-g726-offer.sdp',
      'm=audio 9 RTP/AVP 0',
      ['a=rtpmap:0 PCMU/8000', 'a=fmtp:0 vad=yes', 'a=inactive'],
    ],
    ['text2sip-g722-offer.sdp', 'm=audio 9 RTP/AVP 9', ['a=rtpmap:9 G722/8000/1', 'a=inactive']],
  ])('%s: accepts audio as %s', (file, audio, attributes) => {
    const offer = offerOf(file);
    const answer = answerWithoutMedia(offer, SOURCE)!;
    const offered = mLines(offer);
    const answered = streams(answer);
    // RFC 3264 §6: one m-line per offered m-line, in order, of the same media type and transport.
    expect(answered.map(({ m }) => m.split(' ')[0])).toEqual(offered.map((m) => m.split(' ')[0]));
    expect(answered.map(({ m }) => m.split(' ')[2])).toEqual(offered.map((m) => m.split(' ')[2]));
    const accepted = answered.filter(({ m }) => !/^m=\S+ 0 /.test(m));
    expect(accepted).toEqual([{ m: audio, attributes }]);
    // The one format answered is one the phone offered in that stream.
    const index = answered.findIndex(({ m }) => m === audio);
    expect(offered[index]!.split(' ').slice(3)).toContain(audio.split(' ')[3]);
    // Refused streams keep a format of theirs (RFC 4566 §5.14: at least one).
    for (const [i, { m }] of answered.entries())
      if (i !== index)
        expect(m).toBe(
          `${offered[i]!.split(' ')[0]} 0 ${offered[i]!.split(' ')[2]} ${offered[i]!.split(' ')[3]}`,
        );
    // Session lines: valid, ours, and the offer's t=.
    const lines = answer.split('\r\n');
    expect(lines.slice(0, 4)).toEqual([
      'v=0',
      'o=lampfield 3914 3914 IN IP4 127.0.0.9',
      's=lampfield',
      'c=IN IP4 127.0.0.9',
    ]);
    expect(lines[4]).toBe(offer.split(/\r?\n/).find((line) => line.startsWith('t=')));
    expect(answer.endsWith('\r\n')).toBe(true);
  });

  it('refuses the video of liblinphone’s offer and keeps its format', () => {
    const answer = answerWithoutMedia(offerOf('liblinphone-5.1-200-offer.sip'), SOURCE)!;
    expect(mLines(answer)).toEqual(['m=audio 9 RTP/AVP 0', 'm=video 0 RTP/AVP 96']);
  });

  it('refuses what it cannot answer: DTLS-SRTP, an unknown SDES suite, a stream with no codec', () => {
    const offer = (m: string, ...attributes: string[]) =>
      ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0', m, ...attributes, ''].join(
        '\r\n',
      );
    expect(
      mLines(
        answerWithoutMedia(offer('m=audio 5000 UDP/TLS/RTP/SAVPF 0', 'a=fingerprint:sha-256 AB:CD'), SOURCE)!,
      ),
    ).toEqual(['m=audio 0 UDP/TLS/RTP/SAVPF 0']);
    expect(
      mLines(
        answerWithoutMedia(
          offer('m=audio 5000 RTP/SAVP 0', 'a=crypto:1 F8_128_HMAC_SHA1_80 inline:abc'),
          SOURCE,
        )!,
      ),
    ).toEqual(['m=audio 0 RTP/SAVP 0']);
    expect(
      mLines(
        answerWithoutMedia(
          offer('m=audio 5000 RTP/AVP 101 13', 'a=rtpmap:101 telephone-event/8000'),
          SOURCE,
        )!,
      ),
    ).toEqual(['m=audio 0 RTP/AVP 101']);
    // The second audio stream of an offer is refused; the first is the call's.
    expect(
      mLines(answerWithoutMedia(offer('m=audio 5000 RTP/AVP 8', 'm=audio 5002 RTP/AVP 0'), SOURCE)!),
    ).toEqual(['m=audio 9 RTP/AVP 8', 'm=audio 0 RTP/AVP 0']);
  });

  it('gives no answer to a body with no stream', () => {
    expect(answerWithoutMedia('', SOURCE)).toBeNull();
    expect(answerWithoutMedia('v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n', SOURCE)).toBeNull();
  });

  it("answers Asterisk's offer recvonly where the dialect says a B2BUA takes inactive for a hold", () => {
    // The offer in Asterisk's 200 to lampfield's offer-less INVITE (test/vectors/asterisk/).
    const offer = readVector('asterisk/invite-201-200-offer.sip').split(/\r?\n\r?\n/)[1]!;
    const answer = answerWithoutMedia(offer, SOURCE, 'recvonly')!;
    expect(streams(answer)).toEqual([
      { m: 'm=audio 9 RTP/AVP 0', attributes: ['a=rtpmap:0 PCMU/8000', 'a=recvonly'] },
    ]);
    // res_pjsip_sdp_rtp.c reads sendonly, inactive or a 0.0.0.0 address as a hold: none of them is here.
    expect(answer).not.toMatch(/a=(sendonly|inactive)|IN IP4 0\.0\.0\.0/);
  });
});
