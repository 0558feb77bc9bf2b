/**
 * The module protocol's link layer on its own (firmware-sim/protocol/link.ts, PROTOCOL.md §4.1), on a
 * fake clock: the frames one side writes, as the other side's decoder reads them. The same frame
 * sequences hold for the host driver (hw/serial) and the firmware (firmware-sim/sim), which both run it.
 */
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../firmware-sim/protocol/framing.ts';
import { StopAndWait } from '../../firmware-sim/protocol/link.ts';
import { decodeMessage, PROTOCOL_VERSION, type Message } from '../../firmware-sim/protocol/messages.ts';
import { FakeClock } from '../support/fake-clock.ts';

function side(options: { retryMs?: number; retries?: number } = {}) {
  const clock = new FakeClock();
  const decoder = new FrameDecoder();
  /** Every frame written, as the other side reads it: its seq and its message. */
  const wire: { seq: number; message: Message }[] = [];
  const givenUp: Message[] = [];
  let drained = 0;
  const link = new StopAndWait({
    clock,
    retryMs: options.retryMs ?? 200,
    retries: options.retries ?? 5,
    write: (bytes) => {
      for (const frame of decoder.push(bytes)) {
        const decoded = decodeMessage(frame);
        if (!decoded.ok) throw new Error(decoded.reason);
        wire.push({ seq: frame.seq, message: decoded.message });
      }
    },
    gaveUp: (message) => givenUp.push(message),
    drained: () => drained++,
  });
  return { clock, link, wire, givenUp, drained: () => drained };
}

const HELLO: Message = { type: 'hello', protocol: { ...PROTOCOL_VERSION } };
const HEARTBEAT: Message = { type: 'heartbeat' };

describe('the link layer', () => {
  it('sends one sequenced frame at a time, the next once the last is acknowledged', () => {
    const { link, wire, drained } = side();
    link.send(HELLO);
    link.send(HEARTBEAT);
    expect(wire).toEqual([{ seq: 1, message: HELLO }]);
    expect(link.pending).toBe(2);
    expect(link.answered(2)).toBe(false); // not the frame waiting
    expect(link.answered(1)).toBe(true);
    expect(wire).toEqual([
      { seq: 1, message: HELLO },
      { seq: 2, message: HEARTBEAT },
    ]);
    expect(drained()).toBe(0);
    link.answered(2);
    expect(link.pending).toBe(0);
    expect(drained()).toBe(1);
  });

  it('sends the same frame again after the retry time, 5 times, then gives it up and goes on', () => {
    const { clock, link, wire, givenUp } = side();
    link.send(HELLO);
    link.send(HEARTBEAT);
    clock.advance(199);
    expect(wire).toHaveLength(1);
    clock.advance(1);
    expect(wire).toHaveLength(2);
    clock.advance(4 * 200);
    expect(wire.map((frame) => frame.seq)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(link.retransmissions).toBe(5);
    clock.advance(200);
    expect(givenUp).toEqual([HELLO]);
    expect(wire.at(-1)).toEqual({ seq: 2, message: HEARTBEAT });
  });

  it('numbers 1..255 and wraps to 1; ACK and NAK go unsequenced (seq 0), at once', () => {
    const { link, wire } = side();
    for (let i = 0; i < 256; i++) {
      link.send(HEARTBEAT);
      link.answered(wire.at(-1)!.seq);
    }
    expect(wire.slice(253).map((frame) => frame.seq)).toEqual([254, 255, 1]);
    link.send(HEARTBEAT);
    link.reply({ type: 'ack', seq: 7 });
    expect(wire.at(-1)).toEqual({ seq: 0, message: { type: 'ack', seq: 7 } });
    expect(link.pending).toBe(1); // a reply waits for nothing
  });

  it("tells the other side's retransmission from a new frame, until a new session forgets it", () => {
    const { link } = side();
    expect(link.isRepeat(3)).toBe(false);
    link.took(3);
    expect(link.isRepeat(3)).toBe(true);
    expect(link.isRepeat(4)).toBe(false);
    link.clear(); // the queue only
    expect(link.isRepeat(3)).toBe(true);
    link.newSession();
    expect(link.isRepeat(3)).toBe(false);
  });

  it('sends nothing queued after a clear, and numbers from 1 again after a reset', () => {
    const { clock, link, wire } = side();
    link.send(HELLO);
    link.send(HEARTBEAT);
    link.clear();
    clock.advance(10_000);
    expect(wire).toEqual([{ seq: 1, message: HELLO }]);
    link.send(HEARTBEAT);
    expect(wire.at(-1)?.seq).toBe(3);
    link.reset();
    link.send(HEARTBEAT);
    expect(wire.at(-1)?.seq).toBe(1);
  });
});
