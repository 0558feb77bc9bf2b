/** Non-INVITE server transactions (RFC 3261 §17.2.2) on a fake clock. */
import { describe, expect, it } from 'vitest';
import {
  NonInviteServerTransactions,
  TIMER_J_MS,
  type TransactionBudget,
} from '../../src/sip/server-transactions.ts';
import { FakeClock } from '../support/fake-clock.ts';

function setup(unansweredMs = 8000, budget?: TransactionBudget) {
  const clock = new FakeClock();
  const table = new NonInviteServerTransactions(clock, unansweredMs, budget);
  const sent: string[] = [];
  const expired: string[] = [];
  const begin = (key: string) =>
    table.begin(
      key,
      (bytes) => sent.push(`${key}:${bytes.toString()}`),
      () => {
        // As the stack does: answer 500, which completes the transaction.
        expired.push(key);
        table.complete(key, Buffer.from('SIP/2.0 500 Request Not Handled'), false);
      },
    );
  return { clock, table, sent, expired, begin };
}

describe('non-INVITE server transactions', () => {
  it('answers a retransmitted request with the same response, without the application seeing it again', () => {
    const { table, sent, begin } = setup();
    expect(begin('NOTIFY c1 z9hG4bK1')).toBe('new');
    table.complete('NOTIFY c1 z9hG4bK1', Buffer.from('SIP/2.0 200 OK'), false);
    expect(begin('NOTIFY c1 z9hG4bK1')).toBe('retransmission');
    expect(sent).toEqual(['NOTIFY c1 z9hG4bK1:SIP/2.0 200 OK']);
  });

  it('absorbs a retransmission while the application has not answered yet', () => {
    const { sent, begin } = setup();
    begin('k');
    expect(begin('k')).toBe('retransmission');
    expect(sent).toEqual([]);
  });

  it('forgets a completed UDP transaction after Timer J (32 s), and a TCP one at once', () => {
    const { clock, table, begin } = setup();
    begin('udp');
    table.complete('udp', Buffer.from('r'), false);
    begin('tcp');
    table.complete('tcp', Buffer.from('r'), true);
    expect(table.size).toBe(1);
    clock.advance(TIMER_J_MS - 1000);
    expect(table.size).toBe(1);
    clock.advance(1000);
    expect(table.size).toBe(0);
    expect(begin('udp')).toBe('new'); // a new transaction now
  });

  it('expires a request left unanswered, oldest first, and only those that are late', () => {
    const { clock, expired, begin } = setup(5000);
    begin('a');
    clock.advance(2000);
    begin('b');
    clock.advance(3000);
    expect(expired).toEqual(['a']);
    clock.advance(2000);
    expect(expired).toEqual(['a', 'b']);
  });

  it('keeps no timer running once every transaction is over', () => {
    const { clock, table, begin } = setup();
    begin('k');
    table.complete('k', Buffer.from('r'), false);
    clock.advance(TIMER_J_MS + 1000);
    expect(clock.pending).toBe(0);
  });

  it('keeps no more responses than its byte budget, letting the oldest go first', () => {
    const { table, sent, begin } = setup(8000, { maxTransactions: 1000, maxBytes: 100 });
    for (let i = 0; i < 10; i++) {
      begin(`k${i}`);
      table.complete(`k${i}`, Buffer.alloc(30, 65), false);
    }
    expect(table.bytes).toBeLessThanOrEqual(100);
    expect(table.size).toBe(3);
    // The newest still answers its retransmission; the oldest is handled as new.
    expect(begin('k9')).toBe('retransmission');
    expect(begin('k0')).toBe('new');
    expect(sent).toHaveLength(1);
  });

  it('keeps no more transactions than its count budget; full of unanswered ones, it refuses', () => {
    const { table, begin } = setup(8000, { maxTransactions: 5, maxBytes: 1_000_000 });
    for (let i = 0; i < 5; i++) {
      begin(`done${i}`);
      table.complete(`done${i}`, Buffer.from('SIP/2.0 200 OK'), false);
    }
    for (let i = 0; i < 5; i++) expect(begin(`open${i}`)).toBe('new'); // the completed ones make room
    expect(table.size).toBe(5);
    expect(begin('one-more')).toBe('full');
  });
});
