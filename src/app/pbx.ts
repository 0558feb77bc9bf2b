/**
 * Reaching the PBX the config names, for `lampfield run` and `lampfield doctor` alike: its IPv4 address,
 * and lampfield's SIP identity toward it on a stack.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { Config } from '../config/config.ts';
import type { SipStack } from '../sip/stack.ts';
import { UserAgent } from '../sip/user-agent.ts';

/** The PBX's IPv4 address: pbx.host itself, or what its name resolves to. */
export async function resolvePbxAddress(config: Config): Promise<string> {
  return net.isIP(config.pbx.host) ? config.pbx.host : (await lookup(config.pbx.host, { family: 4 })).address;
}

/** lampfield's SIP identity on `stack`, sending everything to the PBX at `address`. */
export function pbxUserAgent(config: Config, stack: SipStack, address: string): UserAgent {
  return new UserAgent(
    stack,
    { ...config.account, domain: config.pbx.domain },
    { protocol: config.pbx.transport === 'tcp' ? 'TCP' : 'UDP', address, port: config.pbx.port },
  );
}
