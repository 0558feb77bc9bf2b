/** A minimal host for testing the firmware simulator directly: frames out, messages in, ACKs sent. */
import { encodeFrame, FrameDecoder } from '../../firmware-sim/protocol/framing.ts';
import { decodeMessage, encodeMessage, type Message } from '../../firmware-sim/protocol/messages.ts';
import type { ModuleFirmware } from '../../firmware-sim/sim/module-firmware.ts';

export class TestHost {
  readonly received: { seq: number; message: Message }[] = [];
  private readonly decoder = new FrameDecoder();
  private seq = 0;
  /** When false, the host does not acknowledge (to see the module retry). */
  acknowledge = true;

  constructor(private readonly firmware: ModuleFirmware) {
    firmware.connect((bytes) => {
      for (const frame of this.decoder.push(bytes)) {
        const decoded = decodeMessage(frame);
        if (!decoded.ok) continue;
        this.received.push({ seq: frame.seq, message: decoded.message });
        if (frame.seq !== 0 && this.acknowledge) this.sendRaw({ type: 'ack', seq: frame.seq }, 0);
      }
    });
  }

  send(message: Message): number {
    this.seq = (this.seq % 255) + 1;
    this.sendRaw(message, this.seq);
    return this.seq;
  }

  sendRaw(message: Message, seq: number): void {
    this.firmware.receive(encodeFrame({ seq, ...encodeMessage(message) }));
  }

  messages(type: Message['type']): Message[] {
    return this.received.filter((entry) => entry.message.type === type).map((entry) => entry.message);
  }
}
