/** RFC 6665's rules for a subscriber, as a table: what each SUBSCRIBE answer and each termination asks. */
import { describe, expect, it } from 'vitest';
import type { SipMessage } from '../../src/sip/message.ts';
import {
  backoffMs,
  readSubscribeAnswer,
  readTermination,
  refreshAfterMs,
} from '../../src/sip/subscription-rules.ts';

function answer(status: number, reason: string, headers: Record<string, string> = {}): SipMessage {
  return { status, reason, headers };
}

describe('SUBSCRIBE answers (RFC 6665 §4.1.2)', () => {
  it.each([
    [answer(200, 'OK', { expires: '300' }), false, { kind: 'granted', expires: 300 }],
    [answer(202, 'Accepted'), false, { kind: 'granted', expires: 600 }],
    [answer(481, 'Call/Transaction Does Not Exist'), true, { kind: 'gone' }],
    // RFC 6665 §4.1.2.2: these end a refreshed subscription; subscribe anew, not refused.
    [answer(404, 'Not Found'), true, { kind: 'gone' }],
    [answer(489, 'Bad Event'), true, { kind: 'gone' }],
    [answer(604, 'Does Not Exist Anywhere'), true, { kind: 'gone' }],
    [answer(404, 'Not Found'), false, { kind: 'refused' }],
    [
      answer(423, 'Interval Too Brief', { 'min-expires': '1800' }),
      false,
      { kind: 'too-brief', minimum: 1800 },
    ],
    [
      answer(489, 'Bad Event'),
      false,
      { kind: 'refused', reason: 'the PBX refused the subscription: 489 Bad Event' },
    ],
    [
      answer(407, 'Proxy Authentication Required'),
      false,
      {
        kind: 'refused',
        reason: expect.stringContaining('check account.user and account.password') as string,
      },
    ],
    // A 481 to a new SUBSCRIBE is no lost refresh: try again later.
    [answer(481, 'Call/Transaction Does Not Exist'), false, { kind: 'failed', retryMs: undefined }],
    [answer(503, 'Service Unavailable', { 'retry-after': '30' }), false, { kind: 'failed', retryMs: 30_000 }],
    [
      answer(408, 'Request Timeout'),
      true,
      { kind: 'failed', reason: 'SUBSCRIBE answered 408 Request Timeout' },
    ],
  ] as const)('%o (refresh: %s)', (response, refresh, meaning) => {
    expect(readSubscribeAnswer(response, refresh, 600)).toMatchObject(meaning);
  });
});

describe('terminated subscriptions (RFC 6665 §4.1.3)', () => {
  it.each([
    ['terminated;reason=rejected', { kind: 'refused' }],
    ['terminated;reason=noresource', { kind: 'refused' }],
    ['terminated;reason=invariant', { kind: 'refused' }],
    ['terminated;reason=probation;retry-after=20', { kind: 'lost', retryMs: 20_000 }],
    ['terminated;reason=giveup', { kind: 'lost', retryMs: undefined }],
    ['terminated;reason=deactivated', { kind: 'again' }],
    ['terminated;reason=timeout', { kind: 'again' }],
    ['terminated', { kind: 'again', reason: 'the PBX ended the subscription (no reason)' }],
    ['terminated;reason=deactivated;retry-after=5', { kind: 'lost', retryMs: 5000 }],
  ] as const)('%s', (state, meaning) => {
    expect(readTermination(state)).toMatchObject(meaning);
  });
});

describe('timing', () => {
  it('refreshes a minute before the end, or halfway through a short subscription', () => {
    expect(refreshAfterMs(600)).toBe(540_000);
    expect(refreshAfterMs(100)).toBe(50_000);
  });

  it('backs off 2 s doubling up to 60 s, with ±20 % jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((failures) => backoffMs(failures, 0.5))).toEqual([
      2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
    ]);
    expect(backoffMs(1, 0)).toBe(1600);
    expect(backoffMs(1, 1)).toBeCloseTo(2400);
  });
});
