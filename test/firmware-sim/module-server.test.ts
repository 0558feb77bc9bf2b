/** The simulated module on TCP: one host at a time, the newest; a host that closes and reconnects at once is taken. */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type Message } from '../../firmware-sim/protocol/messages.ts';
import { encodeFrame, FrameDecoder } from '../../firmware-sim/protocol/framing.ts';
import { ModuleFirmware } from '../../firmware-sim/sim/module-firmware.ts';
import { hardwareOf } from '../../src/app/module-simulator.ts';
import { serveOverTcp, type ModuleEndpoint } from '../../firmware-sim/sim/module-server.ts';
import { loadBoards } from '../../src/config/boards.ts';
import { systemClock } from '../../src/util/clock.ts';

const closing: ModuleEndpoint[] = [];
afterEach(async () => {
  for (const endpoint of closing.splice(0)) await endpoint.close();
});

/** A host on the module's TCP port: sends HELLO, and resolves with the first INFO, or null if dropped. */
function hello(port: number): Promise<{ socket: net.Socket; info: Message | null }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const decoder = new FrameDecoder();
    socket.on('connect', () =>
      socket.write(
        encodeFrame({ seq: 1, ...encodeMessage({ type: 'hello', protocol: { major: 1, minor: 0 } }) }),
      ),
    );
    socket.on('data', (data: Buffer) => {
      for (const frame of decoder.push(data)) {
        const decoded = decodeMessage(frame);
        if (decoded.ok && decoded.message.type === 'info') resolve({ socket, info: decoded.message });
      }
    });
    socket.on('close', () => resolve({ socket, info: null }));
    socket.on('error', () => undefined);
  });
}

describe('the module simulator on TCP', () => {
  it('takes a host that reconnects right after closing (EOF)', async () => {
    const board = loadBoards().find((candidate) => candidate.id === 'module-20rgb')!;
    const endpoint = await serveOverTcp(new ModuleFirmware(hardwareOf(board), systemClock), 0);
    closing.push(endpoint);
    const first = await hello(endpoint.port);
    expect(first.info).toMatchObject({ type: 'info' });
    first.socket.end(); // the host closes, and at once comes back
    const second = await hello(endpoint.port);
    expect(second.info).toMatchObject({ type: 'info', info: { boardId: 'module-20rgb' } });
    second.socket.destroy();
  });

  it('serves one host at a time, the newest', async () => {
    const board = loadBoards().find((candidate) => candidate.id === 'module-20rgb')!;
    const endpoint = await serveOverTcp(new ModuleFirmware(hardwareOf(board), systemClock), 0);
    closing.push(endpoint);
    const first = await hello(endpoint.port);
    const closed = new Promise<void>((resolve) => first.socket.once('close', () => resolve()));
    const second = await hello(endpoint.port);
    expect(second.info).toMatchObject({ type: 'info' });
    await closed; // the first host's link is let go
    second.socket.destroy();
  });
});
