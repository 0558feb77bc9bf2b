/**
 * lampfield's INVITE through a PBX that challenges it (RFC 3261 §22.2), over real UDP against a scripted
 * PBX: answered once with credentials and the next CSeq, and cancellable all along, also between the
 * challenge and its answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { localTag } from '../../src/sip/message.ts';
import { SipStack, type IncomingRequest } from '../../src/sip/stack.ts';
import { UserAgent } from '../../src/sip/user-agent.ts';
import { systemClock } from '../../src/util/clock.ts';
import { closeScriptedPbxs, ScriptedPbx } from '../support/scripted-pbx.ts';

const stacks: SipStack[] = [];
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((stack) => stack.close()));
  await closeScriptedPbxs();
});

const CHALLENGE = { 'www-authenticate': 'Digest realm="asterisk",nonce="n1",algorithm=MD5,qop="auth"' };

async function setup(): Promise<{
  pbx: ScriptedPbx;
  ua: UserAgent;
  invites: IncomingRequest[];
  /** The INVITEs lampfield wrote to its socket, as they were written. */
  sentInvites: () => number;
}> {
  const pbx = await ScriptedPbx.open();
  const written: string[] = [];
  const stack = await SipStack.open({
    address: '127.0.0.1',
    port: 0,
    clock: systemClock,
    trace: (direction, text) => {
      if (direction === 'out') written.push(text);
    },
  });
  stacks.push(stack);
  const ua = new UserAgent(
    stack,
    { user: '900', password: 'watch900', domain: '127.0.0.1' },
    { protocol: 'UDP', address: '127.0.0.1', port: pbx.stack.port },
  );
  const invites: IncomingRequest[] = [];
  pbx.answer = (request) => {
    if (request.message.method === 'INVITE') invites.push(request);
    else request.respond(200);
  };
  return { pbx, ua, invites, sentInvites: () => written.filter((text) => text.startsWith('INVITE ')).length };
}

const invite = (ua: UserAgent) =>
  ua.outOfDialog('INVITE', 'sip:201@127.0.0.1', ua.newCallId(), localTag(), 1);

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('UserAgent.invite', () => {
  it('answers a challenge once: the same INVITE with credentials and CSeq 2, its 2xx given with that INVITE', async () => {
    const { ua, invites } = await setup();
    const sent = ua.invite(invite(ua));
    await until(() => invites.length === 1);
    invites[0]!.respond(401, 'Unauthorized', { headers: CHALLENGE });
    await until(() => invites.length === 2);
    expect(invites.map((request) => request.message.headers.cseq?.seq)).toEqual([1, 2]);
    expect(invites[0]!.message.headers.authorization).toBeUndefined();
    const credentials = JSON.stringify(invites[1]!.message.headers.authorization);
    expect(credentials).toMatch(/"scheme":"Digest".*"username":"\\"900\\"".*"nonce":"\\"n1\\""/);
    invites[1]!.respond(200);
    const { request, response } = await sent.final;
    expect(response.status).toBe(200);
    expect(request.headers.cseq?.seq).toBe(2);
  });

  it('cancelled while the challenge is on its way: no INVITE with credentials follows, it ends as cancelled (487)', async () => {
    const { ua, invites, sentInvites } = await setup();
    const sent = ua.invite(invite(ua));
    await until(() => invites.length === 1);
    sent.cancel();
    invites[0]!.respond(401, 'Unauthorized', { headers: CHALLENGE });
    const { response } = await sent.final;
    expect(response.status).toBe(487);
    // Once it has ended nothing more is sent: one INVITE went out in all.
    expect(sentInvites()).toBe(1);
  });

  it('a second challenge in a row (a wrong password) is not answered again', async () => {
    const { ua, invites, sentInvites } = await setup();
    const sent = ua.invite(invite(ua));
    await until(() => invites.length === 1);
    invites[0]!.respond(401, 'Unauthorized', { headers: CHALLENGE });
    await until(() => invites.length === 2);
    invites[1]!.respond(401, 'Unauthorized', { headers: CHALLENGE });
    expect((await sent.final).response.status).toBe(401);
    expect(sentInvites()).toBe(2);
  });
});
