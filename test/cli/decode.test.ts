/**
 * `lampfield decode` as a user runs it: the real command in a child process, on the seed's NOTIFYs
 * copied from the innovaphone wiki, and on files it must refuse.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
