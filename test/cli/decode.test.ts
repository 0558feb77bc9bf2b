/**
 * `lampfield decode` as a user runs it: the real command in a child process, on the seed's NOTIFYs
 * copied from the innovaphone wiki, and on files it must refuse.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { vectorPath } from '../support/vectors.ts';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));
const SEED = [1, 2, 3, 4].map((n) => vectorPath(`innovaphone/seed-${n}.sip`));

interface Run {
  code: number;
  lines: Record<string, unknown>[];
  stderr: string;
}

function lampfield(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], (error, stdout, stderr) => {
      const code = error == null ? 0 : typeof error.code === 'number' ? error.code : 1;
      const lines = stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, lines, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

describe('lampfield decode', () => {
  it('reads the seed as ringing, idle, busy, idle with --dialect innovaphone, the partner taken from From', async () => {
    const run = await lampfield(['decode', '--dialect', 'innovaphone', ...SEED]);
    expect(run.code).toBe(0);
    expect(run.lines.map((line) => line['state'])).toEqual(['ringing', 'idle', 'busy', 'idle']);
    expect(run.lines.map((line) => line['entity'])).toEqual(Array(4).fill('sip:207@172.16.16.180'));
    expect(run.lines.map((line) => line['version'])).toEqual([9, 10, 11, 12]);
    // A received call although the dialog says initiator: pickup is offered (by the call-id alone,
    // innovaphone gives no tags), toward the caller 211.
    expect(run.lines[0]!['pickup']).toEqual({
      method: 'replaces',
      uri: 'sip:211@172.16.16.180',
      replaces: 'e1b50917e909d311824d0090330200d6;early-only',
    });
    expect(run.lines[0]!['lamp']).toEqual({ color: 'red', pattern: 'fast-blink' });
    expect(run.lines[2]!['lamp']).toEqual({ color: 'red', pattern: 'steady' });
    expect(run.lines[3]!['lamp']).toEqual({ color: 'green', pattern: 'steady' });
  });

  it("--dialect auto: chooses as run's pbx.dialect: auto would, and says why on standard error", async () => {
    const asterisk = await lampfield([
      'decode',
      '--dialect',
      'auto',
      vectorPath('asterisk/dialog-207-3-early-from-211.sip'),
    ]);
    expect(asterisk.code).toBe(0);
    expect(asterisk.stderr.trim()).toBe(
      'lampfield decode: dialect auto chooses asterisk (the PBX\'s User-Agent is "Asterisk PBX 23.4.1")',
    );
    expect(asterisk.lines[0]).toMatchObject({ state: 'ringing', pickup: { uri: 'sip:**207@127.0.0.1' } });
    // A bare document of Asterisk's shape (its dialog named after the extension, no call-id) says it too.
    const bare = readFileSync(vectorPath('asterisk/dialog-207-4-confirmed.sip'), 'utf8').split(
      /\r?\n\r?\n/,
    )[1]!;
    const shape = await lampfield(['decode', '--dialect=auto', '-'], bare);
    expect(shape.stderr).toMatch(/chooses asterisk \(its dialog id is the extension \(207\) with no call-id/);
    // The seed names no product, but its NOTIFYs come with no SUBSCRIBE and no entity: innovaphone's.
    const seed = await lampfield(['decode', '--dialect', 'auto', ...SEED]);
    expect(seed.stderr).toMatch(/chooses innovaphone \(the PBX sends dialog NOTIFYs without a subscription/);
    expect(seed.lines.map((line) => line['state'])).toEqual(['ringing', 'idle', 'busy', 'idle']);
    // A bare document that names nothing: read the generic way, said so.
    const plain = await lampfield(
      ['decode', '--dialect', 'auto', '-'],
      '<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:207@pbx"/>',
    );
    expect(plain.stderr).toMatch(/nothing in the files names a PBX family; read the generic way/);
  });

  it('reads the first seed NOTIFY as an outgoing call with the default dialect', async () => {
    const run = await lampfield(['decode', SEED[0]!]);
    expect(run.lines[0]).toMatchObject({ accepted: true, state: 'calling', pickup: null });
    expect(run.lines[0]!['dialogs']).toEqual([
      {
        id: '1',
        state: 'early',
        direction: 'initiator',
        callId: 'e1b50917e909d311824d0090330200d6',
        localTag: null,
        remoteTag: null,
        remote: 'sip:211@172.16.16.180',
        remoteDisplay: null,
        held: false,
      },
    ]);
  });

  it('reads every NOTIFY of a file that holds several, in order: the seed page itself', async () => {
    const page = vectorPath('innovaphone/innovaphone-blf-partner-keys.txt');
    const run = await lampfield(['decode', '--dialect', 'innovaphone', page]);
    expect(run.code).toBe(0);
    // The page's prose and the 200 Oks between the NOTIFYs are not read as part of any body.
    expect(run.lines.map((line) => [line['line'], line['version'], line['state']])).toEqual([
      [51, 9, 'ringing'],
      [89, 10, 'idle'],
      [116, 11, 'busy'],
      [162, 12, 'idle'],
    ]);
    expect(run.lines[0]).toMatchObject({ file: page, accepted: true, caller: '211' });
  });

  it("reads sngrep's saved text, with its timestamp lines between the messages", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lampfield-decode-'));
    const trace = join(dir, 'sngrep.txt');
    const notify = (cseq: number, version: number, state: string) =>
      [
        `2026/12/02 10:15:4${cseq}.123456 127.0.0.1:5060 -> 127.0.0.1:5070`,
        'NOTIFY sip:lampfield@127.0.0.1:5070 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-' + cseq,
        'From: <sip:216@127.0.0.1>;tag=a1',
        'To: <sip:lampfield@127.0.0.1>;tag=b2',
        'Call-ID: blf-216@127.0.0.1',
        `CSeq: ${cseq} NOTIFY`,
        'Event: dialog',
        'Subscription-State: active;expires=600',
        'Content-Type: application/dialog-info+xml',
        'Content-Length: 999',
        '',
        `<?xml version="1.0"?>`,
        `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="sip:216@127.0.0.1">`,
        state === 'idle'
          ? ''
          : `<dialog id="d1" direction="recipient"><state>${state}</state><remote><identity display="Anna Berg">sip:217@127.0.0.1</identity></remote></dialog>`,
        '</dialog-info>',
        '',
        `2026/12/02 10:15:4${cseq}.125000 127.0.0.1:5070 -> 127.0.0.1:5060`,
        'SIP/2.0 200 OK',
        `CSeq: ${cseq} NOTIFY`,
        'Content-Length: 0',
        '',
      ].join('\r\n');
    writeFileSync(trace, [notify(1, 1, 'early'), notify(2, 2, 'confirmed'), notify(3, 3, 'idle')].join(''));
    const run = await lampfield(['decode', trace]);
    expect(run.code).toBe(0);
    expect(run.lines.map((line) => [line['state'], line['caller']])).toEqual([
      ['ringing', 'Anna Berg'],
      ['busy', null],
      ['idle', null],
    ]);
    expect(run.lines.map((line) => line['line'])).toEqual([2, 23, 44]);
  });

  it("names Wireshark's packet tree and a trace without a NOTIFY in one line each", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lampfield-decode-'));
    const tree = join(dir, 'dissections.txt');
    writeFileSync(
      tree,
      'Frame 1: 812 bytes on wire\nSession Initiation Protocol (NOTIFY)\n    Request-Line: NOTIFY sip:w@h SIP/2.0\n',
    );
    const subscribe = join(dir, 'subscribe.sip');
    writeFileSync(subscribe, 'SUBSCRIBE sip:216@pbx SIP/2.0\nEvent: dialog\n\nSIP/2.0 200 OK\n');
    const run = await lampfield(['decode', tree, subscribe]);
    expect(run.lines).toMatchObject([
      { file: tree, accepted: false, error: { code: 'packet-tree' } },
      { file: subscribe, accepted: false, error: { code: 'no-notify' } },
    ]);
    expect(JSON.stringify(run.lines[0])).toContain('Follow → UDP Stream');
  });

  it('refuses a malformed document, keeps the state before it, and goes on with the next file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lampfield-decode-'));
    const broken = join(dir, 'broken.xml');
    writeFileSync(broken, '<dialog-info entity="sip:207@172.16.16.180"><dialog id="1"></dialog-info>');
    const run = await lampfield(['decode', '--dialect', 'innovaphone', SEED[0]!, broken, SEED[3]!]);
    expect(run.code).toBe(0);
    expect(run.lines[1]).toMatchObject({
      file: broken,
      accepted: false,
      entity: 'sip:207@172.16.16.180',
      state: 'ringing',
      error: { code: 'malformed-xml' },
    });
    expect(run.lines[2]).toMatchObject({ accepted: true, state: 'idle' });
  });

  it('refuses a document older than the one before it (stale version)', async () => {
    const run = await lampfield(['decode', '--dialect', 'innovaphone', SEED[2]!, SEED[0]!]);
    expect(run.lines[1]).toMatchObject({ accepted: false, state: 'busy', error: { code: 'stale-version' } });
  });

  it('reads standard input for "-"', async () => {
    const run = await lampfield(
      ['decode', '-'],
      '<dialog-info entity="sip:9@pbx" version="1" state="full"/>',
    );
    expect(run.lines[0]).toMatchObject({ file: '-', accepted: true, entity: 'sip:9@pbx', state: 'idle' });
  });

  it('exits 2 naming an unreadable file, after printing the others', async () => {
    const run = await lampfield(['decode', '/nonexistent/notify.sip', SEED[0]!]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read \/nonexistent\/notify\.sip/);
    expect(run.lines).toHaveLength(1);
  });

  it('exits 2 on a usage error: unknown dialect, unknown option, no file', async () => {
    expect((await lampfield(['decode', '--dialect', 'nortel', SEED[0]!])).code).toBe(2);
    expect((await lampfield(['decode', '--verbose', SEED[0]!])).code).toBe(2);
    const none = await lampfield(['decode']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no FILE given/);
  });
});
