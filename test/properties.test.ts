/**
 * Property tests (fast-check), bounded and seeded so that a run is repeatable: the three readers of
 * input from outside (SIP message text, dialog-info, the module's frames) never throw on any input,
 * read back what was written, and are left as they were by junk.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, MAX_BODY, type Frame } from '../firmware-sim/protocol/framing.ts';
import { decodeMessage } from '../firmware-sim/protocol/messages.ts';
import { DIALECTS } from '../src/blf/dialects.ts';
import { readDialogInfo } from '../src/blf/dialog-info-reader.ts';
import { RegIntake } from '../src/blf/reginfo.ts';
import { DialogIntake } from '../src/blf/dialog-intake.ts';
import { headerValue, readFirstRequest } from '../src/sip/message-text.ts';
import { renderDialogInfo, type SimCall } from '../src/sim/dialog-info-writer.ts';

const RUNS = { seed: 4235, numRuns: 300 };

/** Text with the characters SIP and XML are made of, so that near-misses are common. */
const sipish = fc.string({
  unit: fc.constantFrom(...'ABCDEINOTFYSUBR: \r\n;=<>@/.0123456789"\\&#x-_?'.split('')),
  maxLength: 400,
});
const token = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,15}$/);

describe('SIP message text (lampfield decode)', () => {
  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 2000 }), sipish), (text) => {
        const message = readFirstRequest(text);
        if (message != null) headerValue(message, 'call-id');
      }),
      RUNS,
    );
  });

  it('reads back the method, headers and body of a request it is given', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('NOTIFY', 'SUBSCRIBE', 'OPTIONS'),
        fc.uniqueArray(fc.tuple(fc.constantFrom('Call-ID', 'Event', 'X-A', 'X-B', 'Subject'), token), {
          selector: ([name]) => name,
          maxLength: 5,
        }),
        fc.stringMatching(/^[a-z0-9<>=" ]{0,60}$/),
        fc.constantFrom('\r\n', '\n'),
        (method, headers, body, newline) => {
          const text = [
            `${method} sip:w@127.0.0.1 SIP/2.0`,
            ...headers.map(([n, v]) => `${n}: ${v}`),
            '',
            body,
          ].join(newline);
          const message = readFirstRequest(text)!;
          expect(message.method).toBe(method);
          for (const [name, value] of headers) expect(headerValue(message, name)).toBe(value);
          expect(message.body).toBe(body.trim());
        },
      ),
      RUNS,
    );
  });
});

const simCall: fc.Arbitrary<SimCall> = fc.record({
  id: token,
  callId: token,
  localTag: token,
  remoteTag: token,
  direction: fc.constantFrom('initiator', 'recipient'),
  phase: fc.constantFrom('early', 'confirmed'),
  remote: fc.record({ uri: token.map((user) => `sip:${user}@127.0.0.1`), display: fc.option(token) }),
  held: fc.boolean(),
});

describe('reginfo (RFC 3680)', () => {
  it('never throws, and a refused body changes nothing, whatever the body', () => {
    const reginfoish = fc.string({
      unit: fc.constantFrom(
        ...'<>/="reginfo registration contact state active terminated version full partial 0123 '.split(''),
      ),
      maxLength: 400,
    });
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 500 }), reginfoish), { maxLength: 6 }),
        (bodies) => {
          const watcher = new RegIntake();
          for (const body of bodies) {
            const before = watcher.view('sip:207@pbx').state;
            const result = watcher.notify({ header: () => 'reg', body }, 'sip:207@pbx');
            if (!result.accepted) expect(result.view.state).toBe(before);
            expect(['idle', 'offline', 'unknown']).toContain(result.view.state);
          }
        },
      ),
      RUNS,
    );
  });
});

describe('dialog-info', () => {
  it('never throws, whatever the body', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 3000 }), sipish), (body) => {
        const read = readDialogInfo(body);
        expect(typeof read.ok).toBe('boolean');
      }),
      RUNS,
    );
  });

  it('reads back the dialogs each PBX family writes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('generic', 'kamailio', 'asterisk', 'freeswitch', 'innovaphone'),
        fc.uniqueArray(simCall, { selector: (call) => call.id, maxLength: 4 }),
        fc.nat(1_000_000),
        (dialect, calls, version) => {
          const body = renderDialogInfo(dialect, calls, {
            entity: 'sip:207@127.0.0.1',
            number: '207',
            host: '127.0.0.1',
            version,
          });
          const read = readDialogInfo(body);
          if (!read.ok) throw new Error(`${read.error.code}: ${read.error.message}`);
          expect(read.document.version).toBe(version);
          // Asterisk (PJSIP) writes one dialog per extension, terminated when idle, whatever its calls.
          const live = read.document.dialogs.filter((dialog) => dialog.state !== 'terminated');
          expect(live).toHaveLength(dialect === 'asterisk' ? Math.min(1, calls.length) : calls.length);
        },
      ),
      RUNS,
    );
  });

  it('leaves a partner as it was when junk comes after a document', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(simCall, { selector: (call) => call.id, maxLength: 3 }),
        sipish,
        (calls, junk) => {
          const watcher = new DialogIntake(DIALECTS.generic);
          const context = { entity: 'sip:207@127.0.0.1', number: '207', host: '127.0.0.1', version: 1 };
          const before = watcher.apply({
            body: renderDialogInfo('generic', calls, context),
            subscription: 's',
          }).view;
          const after = watcher.apply({ body: `<${junk}`, subscription: 's' });
          expect(after.accepted).toBe(false);
          expect(watcher.view('sip:207@127.0.0.1')).toEqual(before);
        },
      ),
      RUNS,
    );
  });
});

const frame: fc.Arbitrary<Frame> = fc.record({
  seq: fc.integer({ min: 0, max: 255 }),
  type: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: MAX_BODY - 2 }),
});

describe('the module’s frames (PROTOCOL.md §3)', () => {
  it('read back every frame written, whatever bytes it holds', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 5 }), (frames) => {
        const decoder = new FrameDecoder();
        const wire = frames.map(encodeFrame);
        const read = decoder.push(Uint8Array.from(wire.flatMap((bytes) => [...bytes])));
        expect(read).toEqual(frames);
        for (const got of read) decodeMessage(got); // and the message reader never throws either
      }),
      RUNS,
    );
  });

  it('never throw on junk, and read the next good frame after it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), frame, (junk, good) => {
        const decoder = new FrameDecoder();
        decoder.push(junk);
        // A 0x00 ends whatever the junk left open (§3.3); the good frame is read as if nothing happened.
        const read = decoder.push(Uint8Array.from([0, ...encodeFrame(good)]));
        expect(read.at(-1)).toEqual(good);
      }),
      RUNS,
    );
  });
});
