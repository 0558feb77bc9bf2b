/**
 * A flood of large out-of-dialog NOTIFYs (60 KB each, no subscription of lampfield's) at a running
 * lampfield, with its resident memory watched: before, at its peak while the flood lasts, and after.
 */
import dgram from 'node:dgram';
import { LampfieldProcess } from './lampfield-process.ts';
import { freePort } from './ports.ts';

export interface FloodMemory {
  beforeMb: number;
  peakMb: number;
  /** Resident memory `settleMs` after the last datagram. */
  afterMb: number;
  /** How many of the NOTIFYs were answered (the others were lost in a full socket buffer). */
  answered: number;
}

/**
 * lampfield run watching 207 on a PBX that is not there (no keepalive, errors only in the log), ready to
 * be flooded at `port`: its key shows `unknown`.
 */
export async function startFloodTarget(): Promise<{ lampfield: LampfieldProcess; port: number }> {
  const port = await freePort();
  const lampfield = LampfieldProcess.start({
    pbx: { host: '127.0.0.1', port: await freePort(), keepaliveSeconds: 0 },
    account: { user: '900' },
    local: { address: '127.0.0.1', port },
    log: { level: 'error' },
    keys: [{ key: 1, partner: '207' }],
  });
  try {
    await lampfield.waitForState(1, 'unknown');
  } catch (error) {
    await lampfield.stop();
    throw error;
  }
  return { lampfield, port };
}

export async function floodWithNotifies(
  lampfield: LampfieldProcess,
  port: number,
  count = 5000,
  settleMs = 1000,
): Promise<FloodMemory> {
  const mb = () => lampfield.residentBytes() / (1024 * 1024);
  const beforeMb = mb();
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  let answered = 0;
  socket.on('message', () => answered++);
  const body = `<?xml version="1.0"?><dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:207@127.0.0.1">${'<!-- x -->'.repeat(6000)}</dialog-info>`;
  let peakMb = beforeMb;
  const sample = setInterval(() => (peakMb = Math.max(peakMb, mb())), 50);
  for (let i = 0; i < count; i++) {
    const text = [
      `NOTIFY sip:900@127.0.0.1:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${socket.address().port};branch=z9hG4bK-flood-${i}`,
      'From: <sip:207@127.0.0.1>;tag=flood',
      'To: <sip:900@127.0.0.1>;tag=nobody',
      `Call-ID: flood-${i}@127.0.0.1`,
      `CSeq: ${i + 1} NOTIFY`,
      'Event: dialog',
      'Subscription-State: active',
      'Content-Type: application/dialog-info+xml',
      `Content-Length: ${body.length}`,
      '',
      body,
    ].join('\r\n');
    socket.send(text, port, '127.0.0.1');
    // About 2,000 a second, in bursts the socket buffers take.
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  clearInterval(sample);
  peakMb = Math.max(peakMb, mb());
  socket.close();
  return { beforeMb, peakMb, afterMb: mb(), answered };
}
