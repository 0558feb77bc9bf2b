/**
 * The desk phone's call in progress, read from real Kamailio NOTIFYs (test/vectors/kamailio) as if the
 * watched phone were the desk phone: the tags a transfer needs come only in the early document, and
 * are kept for the confirmed one; and from a real FreeSWITCH NOTIFY, which names only its channel.
 */
import { describe, expect, it } from 'vitest';
import { DeskPhoneCalls } from '../../src/blf/desk-phone-calls.ts';
import { DIALECTS } from '../../src/blf/dialects.ts';
import { DialogIntake } from '../../src/blf/dialog-intake.ts';
import { decodeText } from '../../src/app/decode-text.ts';
import { readVector } from '../support/vectors.ts';

const kamailio = DIALECTS.kamailio;

/** The call-answered capture (207 called by 211), NOTIFY by NOTIFY, each giving the desk phone's call. */
function calls(files: readonly string[], desk = new DeskPhoneCalls(kamailio), dialect = kamailio) {
  const watcher = new DialogIntake(dialect);
  return files.map((file) => {
    const [line] = decodeText(watcher, file, readVector(`${dialect.name}/${file}`));
    desk.update(watcher.view(line!.entity).dialogs);
    return desk.call;
  });
}

describe("the desk phone's call in progress", () => {
  it('is none while idle or ringing, then the confirmed call with the tags of its early document', () => {
    const [empty, early, confirmed, terminated] = calls([
      'call-answered-1-empty.sip',
      'call-answered-2-early.sip',
      'call-answered-3-confirmed.sip',
      'call-answered-4-terminated.sip',
    ]);
    expect(empty).toBeNull();
    expect(early).toBeNull(); // ringing is no call in progress
    expect(confirmed).toEqual({
      dialogId: 'padi-6b07eb55-240e-3',
      callId: '1-9404@127.0.0.1',
      localTag: '9391c1',
      remoteTag: '9404a1',
      peer: 'sip:211@127.0.0.1:5070',
      peerTarget: 'sip:211@127.0.0.1:5092', // its Contact: where the REFER goes
      peerName: '211',
    });
    expect(terminated).toBeNull();
  });

  it('has no tags when the PBX never gave them (a call answered without ringing)', () => {
    const [confirmed] = calls(['call-answered-3-confirmed.sip']);
    expect(confirmed).toMatchObject({ callId: '1-9404@127.0.0.1', localTag: null, remoteTag: null });
  });

  it('forgets a dialog once it is gone: a new call with the same id gets no old tags', () => {
    const desk = new DeskPhoneCalls(kamailio);
    calls(['call-answered-2-early.sip', 'call-answered-4-terminated.sip'], desk);
    const [again] = calls(['call-answered-3-confirmed.sip'], desk);
    expect(again).toMatchObject({ localTag: null, remoteTag: null });
  });

  it("on FreeSWITCH: no call-id and no tags, the dialog's id being its channel's uuid (what its event socket moves)", () => {
    const freeswitch = DIALECTS.freeswitch;
    const [confirmed] = calls(['dialog-211-4-confirmed.sip'], new DeskPhoneCalls(freeswitch), freeswitch);
    expect(confirmed).toMatchObject({
      dialogId: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      ) as unknown,
      callId: null,
      localTag: null,
      remoteTag: null,
      peer: 'sip:207@127.0.0.1',
    });
  });
});
