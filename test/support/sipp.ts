/**
 * sipp as the phones of the integration tests: registering an extension, a phone that is called
 * (rings, then answers unless cancelled) and a phone that calls (hangs up after talking, or cancels a
 * missed call). Scenarios in test/sipp/; values put in where sipp takes no variables.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PASSWORDS } from './kamailio.ts';
import type { TestPbx } from './pbx.ts';
import { freePort, untilUdpBound } from './ports.ts';
import { startProcess, stopProcess, type Started } from './processes.ts';

const SCENARIOS = fileURLToPath(new URL('../sipp/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'lampfield-sipp-'));

function scenario(name: string, values: Record<string, string>): string {
  let text = readFileSync(join(SCENARIOS, `${name}.xml`), 'utf8');
  for (const [key, value] of Object.entries(values)) text = text.replaceAll(key, value);
  const file = join(work, `${name}-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, text);
  return file;
}

/** sipp's error file for a scenario file, read into failure messages. */
function errors(file: string): string {
  try {
    return readFileSync(`${file}.errors`, 'utf8');
  } catch {
    return '';
  }
}

/** What every sipp run here takes: one call, a 30 s limit, its errors, log and messages beside `file`. */
function common(file: string, extension: string, port: number): string[] {
  return [
    '-sf',
    file,
    '-s',
    extension,
    '-p',
    String(port),
    '-i',
    '127.0.0.1',
    '-m',
    '1',
    '-timeout',
    '30s',
    '-timeout_error',
    '-trace_err',
    '-error_file',
    `${file}.errors`,
    '-trace_logs',
    '-log_file',
    `${file}.log`,
    '-trace_msg',
    '-message_file',
    `${file}.msg`,
  ];
}

/** sipp calling through the PBX as `extension`, answering its digest challenges. */
function sipp(pbx: TestPbx, file: string, extension: string, port: number, extra: string[] = []): Started {
  const credentials = ['-au', extension, '-ap', PASSWORDS[extension] ?? ''];
  return startProcess('sipp', [
    ...common(file, extension, port),
    ...credentials,
    ...extra,
    `127.0.0.1:${pbx.port}`,
  ]);
}

/** sipp answering one call on `port` as `extension`. */
function answering(file: string, extension: string, port: number): Started {
  return startProcess('sipp', [...common(file, extension, port), '-bind_local']);
}

export interface Phone {
  extension: string;
  port: number;
  /** The sipp process playing the phone while it waits for a call; null before `expectCall`. */
  process: Started | null;
}

/**
 * Registers `extension` with a Contact on a fresh port (or `port`: a phone that does not register
 * itself, such as lp-auto-answer), where `expectCall` will answer.
 */
export async function registerPhone(pbx: TestPbx, extension: string, contactPort?: number): Promise<Phone> {
  const port = contactPort ?? (await freePort());
  const file = scenario('register', {});
  const run = sipp(pbx, file, extension, await freePort(), [
    '-key',
    'contact_port',
    String(port),
    '-key',
    'expires',
    '3600',
  ]);
  const code = await run.exited;
  if (code !== 0) throw new Error(`sipp could not register ${extension} (exit ${code}):\n${errors(file)}`);
  return { extension, port, process: null };
}

/** Removes the phone's binding (REGISTER with Expires: 0 for its Contact): the phone is unplugged. */
export async function unregisterPhone(pbx: TestPbx, phone: Phone): Promise<void> {
  const file = scenario('register', {});
  const args = ['-key', 'contact_port', String(phone.port), '-key', 'expires', '0'];
  const code = await sipp(pbx, file, phone.extension, await freePort(), args).exited;
  if (code !== 0)
    throw new Error(`sipp could not unregister ${phone.extension} (exit ${code}):\n${errors(file)}`);
}

/** The phone waits for one call, rings for `ringMs`, then answers (unless the caller cancels). */
export function expectCall(pbx: TestPbx, phone: Phone, ringMs: number): Started {
  const file = scenario('callee', { __RING__: String(ringMs) });
  phone.process = answering(file, phone.extension, phone.port);
  void pbx;
  return phone.process;
}

/** `expectCall`, resolving once the phone listens: a call then finds it ready, as a real phone is. */
export async function callExpected(pbx: TestPbx, phone: Phone, ringMs: number): Promise<Started> {
  const started = expectCall(pbx, phone, ringMs);
  await untilUdpBound(phone.port);
  return started;
}

export interface CallOptions {
  /** Answered calls: talk this long, then hang up. */
  talkMs?: number;
  /** Missed calls: cancel after ringing this long. */
  cancelAfterMs?: number;
}

/** `from` calls `to` through the PBX; resolves with sipp's exit code once the call is over. */
export async function call(pbx: TestPbx, from: string, to: string, options: CallOptions): Promise<number> {
  const missed = options.cancelAfterMs != null;
  const file = scenario('caller', {
    __TALK__: String(options.talkMs ?? 1000),
    __CANCEL_AFTER__: String(options.cancelAfterMs ?? 0),
    __MISSED__: missed ? '<nop next="cancel"/>' : '',
  });
  const run = sipp(pbx, file, from, await freePort(), ['-key', 'callee', to]);
  const code = await run.exited;
  if (code !== 0) throw new Error(`sipp call ${from} → ${to} failed (exit ${code}):\n${errors(file)}`);
  return code;
}

export async function hangUpAll(phones: readonly Phone[]): Promise<void> {
  await Promise.all(
    phones.map((phone) => (phone.process == null ? Promise.resolve(0) : stopProcess(phone.process))),
  );
}

/**
 * The user's desk phone (extension 201), registered, playing `scenario` (desk-phone, desk-refuses-call,
 * desk-refer, or callee for one that rings and never answers) with `values` put in. Resolves once
 * it waits for lampfield; `done` resolves with sipp's exit code and what went wrong, if anything.
 */
export async function deskPhone(
  pbx: TestPbx,
  scenarioName: string,
  values: Record<string, string>,
): Promise<{ process: Started; done: Promise<{ code: number; errors: string }> }> {
  const phone = await registerPhone(pbx, '201');
  // The Refer-To pattern goes into an XML attribute.
  const escaped = Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      key === '__REFER_TO__'
        ? value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
        : value,
    ]),
  );
  const file = scenario(scenarioName, escaped);
  const process = answering(file, '201', phone.port);
  const done = process.exited.then((code) => ({ code, errors: `${errors(file)}${readLog(`${file}.log`)}` }));
  return { process, done };
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The picked-up caller answering the BYE that ends its call. */
const TAKES_BYE = `  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>`;

/** How the picked-up caller's call ends: it waits for the BYE, or it hangs up itself. */
const PICKED_UP_END = {
  'waits for the BYE': TAKES_BYE,
  'takes a hold, then waits for the BYE': `  <recv request="INVITE">
    <action>
      <ereg regexp="a=(sendonly|inactive)" search_in="body" check_it="true" assign_to="held,direction"/>
      <log message="held: [$direction] [$held]"/>
    </action>
  </recv>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[service]@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=- 2 3 IN IP4 [local_ip]
s=-
c=IN IP4 [local_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
a=recvonly

]]></send>
  <recv request="ACK"/>
${TAKES_BYE}`,
  'hangs up': `  <pause milliseconds="300"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
From: [$ito];tag=[pid]r[call_number]
To: [$ifrom]
Call-ID: [call_id]
CSeq: 1 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>`,
} as const;

export interface PickableCall {
  /** The caller's first half (its call to `to`): done once it has cancelled that call. */
  caller: Promise<{ code: number; errors: string }>;
  /** Its second half: done once it took the INVITE with Replaces and the call has ended. */
  replaced: Promise<{ code: number; errors: string }>;
}

/**
 * `from` calls `to` through the PBX as a phone that can be picked up (RFC 3891): two twin sipp
 * instances (sipp's 3pcc mode), the first placing the call with its Contact on the second's port, the
 * second (registered as `from`) answering the INVITE with Replaces and telling the first to cancel.
 */
export async function pickableCall(
  pbx: TestPbx,
  from: string,
  to: string,
  end: keyof typeof PICKED_UP_END | 'is gone (481)',
): Promise<PickableCall> {
  const contact = await registerPhone(pbx, from);
  const twin = `127.0.0.1:${await freePort(true)}`;
  const first = scenario('caller-picked-up', { __CONTACT_PORT__: String(contact.port) });
  const caller = sipp(pbx, first, from, await freePort(), ['-key', 'callee', to, '-3pcc', twin]);
  const second =
    end === 'is gone (481)'
      ? scenario('caller-gone', {})
      : scenario('caller-replaced', { __END__: PICKED_UP_END[end] });
  // The twin that sends the first command connects to the other, so it starts once that one listens:
  // once it has sent its INVITE, it has long opened its twin socket (a probe connection would end it).
  await waitForMessage(`${first}.msg`, /^INVITE sip:/m);
  const replaced = startProcess('sipp', [
    ...common(second, from, contact.port),
    '-bind_local',
    '-3pcc',
    twin,
  ]);
  const outcome = (process: Started, file: string) =>
    process.exited.then((code) => ({ code, errors: `${errors(file)}${readLog(`${file}.log`)}` }));
  return { caller: outcome(caller, first), replaced: outcome(replaced, second) };
}

/** Resolves once sipp's message trace `file` holds a message matching `pattern`. */
async function waitForMessage(file: string, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(readLog(file))) {
    if (Date.now() > deadline) throw new Error(`sipp sent no ${pattern} (${file})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface TransferableCall {
  /** The caller's first half (its call to the desk phone): done once it ended that call. */
  caller: Promise<{ code: number; errors: string }>;
  /** Its second half: done once it took the REFER, called the partner, talked and hung up. */
  transferee: Promise<{ code: number; errors: string }>;
  /** The first half's messages as sipp traced them, for the dialog's Call-ID and tags. */
  callerMessages(): string;
}

/**
 * `from` calls `to` (the desk phone) through the PBX as a phone that takes a transfer of that call from
 * a third party (RFC 4538 Target-Dialog): twin sipp instances, the first placing the call with its
 * Contact on the second's port, the second taking the REFER there, calling its Refer-To and, once
 * that call is answered, telling the first to end the call with the desk phone.
 */
export async function transferableCall(
  pbx: TestPbx,
  from: string,
  to: string,
  talkMs: number,
): Promise<TransferableCall> {
  const contactPort = await freePort();
  const twin = `127.0.0.1:${await freePort(true)}`;
  const first = scenario('caller-transferred', { __CONTACT_PORT__: String(contactPort) });
  const caller = sipp(pbx, first, from, await freePort(), ['-key', 'callee', to, '-3pcc', twin]);
  const second = scenario('caller-transferee', {
    __TALK__: String(talkMs),
    __PBX__: `127.0.0.1:${pbx.port}`,
  });
  // As for pickableCall: the twin that sends the command starts once the other listens.
  await waitForMessage(`${first}.msg`, /^INVITE sip:/m);
  const transferee = startProcess('sipp', [
    ...common(second, from, contactPort),
    '-bind_local',
    '-3pcc',
    twin,
  ]);
  const outcome = (process: Started, file: string) =>
    process.exited.then((code) => ({ code, errors: `${errors(file)}${readLog(`${file}.log`)}` }));
  return {
    caller: outcome(caller, first),
    transferee: outcome(transferee, second),
    callerMessages: () => readLog(`${first}.msg`),
  };
}
