/** The run config: the shape the README shows loads; every mistake is one line naming file and path. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/config.ts';

const GOOD = `
pbx: { host: 127.0.0.1, port: 5070, transport: udp, dialect: generic }
account: { user: "900", password: "", register: false }
local: { address: 127.0.0.1, port: 5090 }
board: console
keys:
  - { key: 1, partner: "207", label: Reception }
  - { key: 2, partner: "211" }
`;

function error(text: string): string {
  try {
    parseConfig(text, 'lampfield.yaml');
  } catch (caught) {
    expect(caught).toBeInstanceOf(ConfigError);
    return (caught as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('config', () => {
  it('loads the README example, adding the PBX domain to bare numbers and the defaults', () => {
    const config = parseConfig(GOOD, 'lampfield.yaml');
    expect(config.keys.map((key) => key.partner)).toEqual(['sip:207@127.0.0.1', 'sip:211@127.0.0.1']);
    expect(config.keys[0]!.label).toBe('Reception');
    expect(config.board.id).toBe('console');
    expect(config.pbx).toMatchObject({
      domain: '127.0.0.1',
      expires: 600,
      subscribeRate: 20,
      keepaliveSeconds: 5,
    });
    expect(config.idleHoldMs).toBe(150);
  });

  it('takes JSON too, full URIs as partners, and a domain of its own', () => {
    const config = parseConfig(
      JSON.stringify({
        pbx: { host: '10.0.0.5', domain: 'pbx.example.com' },
        account: { user: '900' },
        keys: [
          { key: 1, partner: 207 },
          { key: 2, partner: 'sips:alice@example.org;user=phone' },
        ],
      }),
      'lampfield.json',
    );
    expect(config.keys.map((key) => key.partner)).toEqual([
      'sip:207@pbx.example.com',
      'sips:alice@example.org',
    ]);
  });

  it('names the path of a wrong value and what was expected', () => {
    expect(error(GOOD.replace('dialect: generic', 'dialect: nortel'))).toBe(
      'lampfield.yaml: /pbx/dialect: must be one of "generic", "innovaphone", "asterisk", "freeswitch", "kamailio"',
    );
    expect(error(GOOD.replace('port: 5070', 'port: "fifty"'))).toBe(
      'lampfield.yaml: /pbx/port: must be integer',
    );
    expect(error(GOOD.replace('{ key: 2, partner: "211" }', '{ key: 2 }'))).toBe(
      "lampfield.yaml: /keys/1: must have required property 'partner'",
    );
    expect(error(GOOD.replace('board: console', 'board: console\npassword: x'))).toBe(
      'lampfield.yaml: /: has an unknown field "password"',
    );
  });

  it('refuses a key given twice, an unknown board and a partner that is no URI', () => {
    expect(error(GOOD.replace('key: 2', 'key: 1'))).toBe('lampfield.yaml: /keys/1/key: key 1 is given twice');
    expect(error(GOOD.replace('board: console', 'board: streamdeck-xxl'))).toMatch(
      /^lampfield\.yaml: \/board: "streamdeck-xxl" is not in boards\.json/,
    );
    expect(error(GOOD.replace('partner: "211"', 'partner: "a b@c"'))).toBe(
      'lampfield.yaml: /keys/1/partner: "a b@c" is not a number or SIP URI',
    );
  });

  it('says where YAML itself is broken', () => {
    expect(error('pbx: { host: 127.0.0.1\naccount: [')).toMatch(/^lampfield\.yaml:\d+: not valid YAML: /);
  });
});
