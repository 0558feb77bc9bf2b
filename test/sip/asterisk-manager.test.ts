/**
 * Asterisk's manager interface as lampfield reads it (src/sip/asterisk-manager.ts): messages in any
 * chunks, the banner first, a flood or a stranger refused; and the desk phone's channel picked from a
 * CoreShowChannels list as Asterisk 23.4 writes it (manager.c action_coreshowchannels).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AmiReader, deskChannel } from '../../src/sip/asterisk-manager.ts';

const BANNER = 'Asterisk Call Manager/11.0.0\r\n';
const channel = (name: string, state: string, bridge: string, duration: string) =>
  `Event: CoreShowChannel\r\nActionID: lampfield-2\r\nChannel: ${name}\r\nChannelState: ${state}\r\n` +
  `ChannelStateDesc: ${state === '6' ? 'Up' : 'Ringing'}\r\nContext: internal\r\nExten: 201\r\n` +
  `Application: AppDial\r\nApplicationData: (Outgoing Line)\r\nDuration: ${duration}\r\nBridgeId: ${bridge}\r\n\r\n`;
const LIST =
  BANNER +
  'Response: Success\r\nActionID: lampfield-1\r\nMessage: Authentication accepted\r\n\r\n' +
  'Response: Success\r\nActionID: lampfield-2\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n' +
  channel('PJSIP/211-00000001', '6', 'b1', '00:01:02') +
  channel('PJSIP/201-00000002', '6', 'b1', '00:01:01') +
  channel('PJSIP/201-00000004', '5', '', '00:00:03') +
  channel('PJSIP/2010-00000005', '6', 'b2', '00:00:09') +
  'Event: CoreShowChannelsComplete\r\nActionID: lampfield-2\r\nEventList: Complete\r\nListItems: 4\r\n\r\n';

describe("Asterisk's manager interface", () => {
  it('reads the same messages whatever the chunks', () => {
    const whole = new AmiReader().push(LIST);
    expect(whole).toHaveLength(7);
    expect(whole[0]).toMatchObject({ Response: 'Success', Message: 'Authentication accepted' });
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: LIST.length - 1 }), { maxLength: 20 }), (cuts) => {
        const at = [...new Set(cuts)].sort((a, b) => a - b);
        const reader = new AmiReader();
        const read = [0, ...at].flatMap((start, index) =>
          reader.push(LIST.slice(start, at[index] ?? LIST.length)),
        );
        expect(read).toEqual(whole);
      }),
    );
  });

  it("picks the desk phone's channel that is up and bridged, not a ringing one nor 2010's", () => {
    const events = new AmiReader().push(LIST);
    expect(deskChannel(events, '201')).toBe('PJSIP/201-00000002');
    expect(deskChannel(events, '212')).toBeNull();
  });

  it('refuses a stranger and a flood, with a line that says so', () => {
    expect(() => new AmiReader().push('SSH-2.0-OpenSSH_9.2\r\n')).toThrow(/is no Asterisk manager/);
    const reader = new AmiReader();
    reader.push(BANNER);
    expect(() => reader.push('x'.repeat(1024 * 1024 + 1))).toThrow(/more than 1 MiB/);
  });
});
