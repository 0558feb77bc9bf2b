/**
 * `provision: dhcp` against a real DHCP server: dnsmasq (Debian's dnsmasq-base) on one end of a veth pair
 * in a network namespace of the test's own, lampfield's DHCP question (the real platform's, port 68,
 * broadcast) from a second namespace on the other end, as a card on a LAN. Needs root and network
 * namespaces; skipped with one line without them.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../support/cleanup.ts';
import { startProcess, stopProcess } from '../support/processes.ts';

const cleanup = cleanupAfterEach();
const ASK = fileURLToPath(new URL('../support/dhcp-ask.ts', import.meta.url));
/** Why this machine cannot give the test its LAN (network namespaces), or null when it can. */
function noNamespaces(): string | null {
  if (process.getuid?.() !== 0) return 'it needs root (network namespaces): run npm test as root to run it';
  const probe = `lfdhcp-probe${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
    return null;
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return `this machine makes no network namespaces (${why})`;
  }
}
const missing = noNamespaces();
if (missing != null) console.log(`the DHCP option 66 test is skipped: ${missing}`);

/** Two namespaces joined by a veth pair: the server's at 10.77.0.1, the card's at 10.77.0.23. */
function lan() {
  const tag = `${process.pid % 100_000}${Math.floor(Math.random() * 100)}`;
  const server = `lfdhcp-s${tag}`;
  const card = `lfdhcp-c${tag}`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  ip('netns', 'add', server);
  cleanup(() => Promise.resolve(void ip('netns', 'del', server)));
  ip('netns', 'add', card);
  cleanup(() => Promise.resolve(void ip('netns', 'del', card)));
  ip('-n', server, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', card);
  ip('-n', server, 'addr', 'add', '10.77.0.1/24', 'dev', 'lan0');
  ip('-n', server, 'link', 'set', 'lan0', 'up');
  ip('-n', card, 'addr', 'add', '10.77.0.23/24', 'dev', 'eth0');
  ip('-n', card, 'link', 'set', 'eth0', 'up');
  ip('-n', card, 'route', 'add', 'default', 'via', '10.77.0.1');
  return { server, card };
}

/** dnsmasq as the LAN's DHCP server (no DNS), with these DHCP options; stopped by PID at the end. */
async function dnsmasq(namespace: string, options: string[]) {
  const started = startProcess('ip', [
    ...['netns', 'exec', namespace, 'dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--port=0'],
    ...['--interface=lan0', '--bind-interfaces', '--dhcp-range=10.77.0.10,10.77.0.50,1h', '--log-dhcp'],
    ...options,
  ]);
  cleanup(() => stopProcess(started));
  const deadline = Date.now() + 10_000;
  while (!/sockets bound exclusively to interface lan0/.test(started.output())) {
    if (Date.now() > deadline) throw new Error(`dnsmasq did not start:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return started;
}

/** lampfield's question, asked from the card's namespace. */
async function ask(card: string, ms: number): Promise<{ option66?: string | null; error?: string }> {
  const run = startProcess('ip', [
    'netns',
    'exec',
    card,
    process.execPath,
    '--import',
    'tsx',
    ASK,
    String(ms),
  ]);
  cleanup(() => stopProcess(run));
  await run.exited;
  const line = run.output().trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as { option66?: string | null; error?: string };
}

describe.skipIf(missing != null)('provision: dhcp on a LAN with dnsmasq', { timeout: 60_000 }, () => {
  it('asks for option 66 and gets the URL the server gives; the server sees the card ask for it', async () => {
    const { server, card } = lan();
    const url = 'https://prov.example.com/lampfield/{serial}.yaml';
    const daemon = await dnsmasq(server, [`--dhcp-option=66,${url}`]);
    expect(await ask(card, 5000)).toEqual({ option66: url });
    expect(daemon.output()).toMatch(/requested options: 66:tftp-server/);
    expect(daemon.output()).toMatch(/DHCPOFFER\(lan0\) /);
    // An OFFER only: the card never takes a lease (no DHCPREQUEST).
    expect(daemon.output()).not.toMatch(/DHCPREQUEST/);
  });

  it('gets no option 66 from a server that has none for the card', async () => {
    const { server, card } = lan();
    await dnsmasq(server, []);
    expect(await ask(card, 5000)).toEqual({ option66: null });
  });

  it('says in one line that no server answered, on a LAN without one', async () => {
    const { card } = lan();
    expect(await ask(card, 1500)).toEqual({ error: 'no DHCP server answered in 1.5 s' });
  });
});
