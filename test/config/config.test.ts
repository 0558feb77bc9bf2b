/** The run config: the shape the README shows loads; every mistake is one line naming file and path. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig, parseConfigLayers } from '../../src/config/config.ts';

const GOOD = `
pbx: { host: 127.0.0.1, port: 5070, transport: udp, dialect: generic }
account: { user: "900", password: "", register: false }
local: { address: 127.0.0.1, port: 5090 }
board: console
keys:
  - { key: 1, partner: "207", label: Reception }
  - { key: 2, partner: "211" }
`;

function error(text: string): ConfigError {
  try {
    parseConfig(text, 'lampfield.yaml');
  } catch (caught) {
    expect(caught).toBeInstanceOf(ConfigError);
    return caught as ConfigError;
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

  it('says in one line the file, the path of the wrong value and what was expected', () => {
    const wrong = error(GOOD.replace('dialect: generic', 'dialect: nortel'));
    expect(wrong).toMatchObject({
      code: 'schema',
      source: 'lampfield.yaml',
      where: '/pbx/dialect',
      rule: 'enum',
    });
    expect(wrong.message).toBe(
      'lampfield.yaml:2: /pbx/dialect: must be one of "auto", "generic", "innovaphone", "asterisk", "freeswitch", "kamailio"',
    );
  });

  it('names the path of a wrong value and the rule it breaks', () => {
    expect(error(GOOD.replace('port: 5070', 'port: "fifty"'))).toMatchObject({
      code: 'schema',
      where: '/pbx/port',
      rule: 'type',
    });
    expect(error(GOOD.replace('{ key: 2, partner: "211" }', '{ key: 2 }'))).toMatchObject({
      code: 'schema',
      where: '/keys/1',
      rule: 'required',
    });
    expect(error(GOOD.replace('board: console', 'board: console\npassword: x'))).toMatchObject({
      code: 'schema',
      where: '/',
      rule: 'additionalProperties',
    });
  });

  it('takes presses from the page only with web.control, which needs web.token', () => {
    expect(parseConfig(`${GOOD}web: { port: 8080 }\n`, 'lampfield.yaml').web).toEqual({
      port: 8080,
      address: '127.0.0.1',
      control: false,
    });
    const noToken = error(`${GOOD}web: { port: 8080, control: true }\n`);
    expect(noToken.message).toBe("lampfield.yaml:9: /web: must have required property 'token'");
    const allowed = parseConfig(`${GOOD}web: { control: true, token: a-long-enough-token }\n`, 'x');
    expect(allowed.web).toMatchObject({ control: true, token: 'a-long-enough-token' });
  });

  it('refuses a key given twice, an unknown board and a partner that is no URI', () => {
    expect(error(GOOD.replace('key: 2', 'key: 1'))).toMatchObject({
      code: 'duplicate-key',
      where: '/keys/1/key',
    });
    expect(error(GOOD.replace('board: console', 'board: streamdeck-xxl'))).toMatchObject({
      code: 'unknown-board',
      where: '/board',
    });
    expect(error(GOOD.replace('partner: "211"', 'partner: "a b@c"'))).toMatchObject({
      code: 'bad-partner',
      where: '/keys/1/partner',
    });
    expect(error(GOOD.replace('board: console', 'board: module-20rgb'))).toMatchObject({
      code: 'no-panel-port',
      where: '/panel/port',
    });
    expect(error(`${GOOD}phone: { uri: "a b" }\n`)).toMatchObject({ code: 'bad-phone', where: '/phone/uri' });
  });

  it('refuses a key number the board does not have', () => {
    const module20 = GOOD.replace('board: console', 'board: module-20rgb\npanel: { port: /dev/ttyACM0 }');
    expect(error(module20.replace('key: 2,', 'key: 21,'))).toMatchObject({
      code: 'no-such-key',
      where: '/keys/1/key',
    });
    expect(error(module20.replace('key: 2,', 'key: 21,')).message).toBe(
      'lampfield.yaml:9: key 21: board module-20rgb has keys 1 to 20, not 21',
    );
    expect(parseConfig(module20.replace('key: 2,', 'key: 20,'), 'lampfield.yaml').keys[1]!.key).toBe(20);
    expect(error(GOOD.replace('key: 2,', 'key: 1025,'))).toMatchObject({ code: 'no-such-key' });
  });

  it('says on which line YAML itself is broken', () => {
    const broken = error('pbx: { host: 127.0.0.1\naccount: [');
    expect(broken.code).toBe('not-yaml');
    expect(broken.where).toEqual(expect.any(Number));
    expect(broken.message).toMatch(new RegExp(`^lampfield\\.yaml:${String(broken.where)}: `));
  });

  it('says a file that cannot be read, and why', () => {
    let caught: unknown;
    try {
      loadConfig('/nonexistent/lampfield.yaml');
    } catch (thrown) {
      caught = thrown;
    }
    expect(caught).toMatchObject({ code: 'unreadable', source: '/nonexistent/lampfield.yaml', where: null });
  });

  it('refuses a YAML alias bomb in one line, without expanding it', () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [name, previous] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
      ['g', 'f'],
    ])
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    const bomb = error(laughs.join('\n'));
    expect(bomb).toMatchObject({ code: 'not-yaml', where: null });
    expect(bomb.message.split('\n')).toHaveLength(1);
    expect(bomb.message).toMatch(/^lampfield\.yaml: not valid YAML: Excessive alias count/);
  });

  it('says every mistake the schema finds at once, one line each', () => {
    const three = error(
      GOOD.replace('port: 5070', 'port: "fifty"')
        .replace('transport: udp', 'transport: sctp')
        .replace('{ key: 2, partner: "211" }', '{ key: 0, partner: "211", colour: red }'),
    );
    expect(three.code).toBe('schema');
    expect(three.problems.map((problem) => [problem.where, problem.rule])).toEqual([
      ['/pbx/port', 'type'],
      ['/pbx/transport', 'enum'],
      ['/keys/1', 'additionalProperties'],
      ['/keys/1/key', 'minimum'],
    ]);
    // Keys by their own numbers (the JSON pointer counts entries from 0), each line with its line number.
    expect(three.message.split('\n')).toEqual([
      'lampfield.yaml:2: /pbx/port: must be integer',
      'lampfield.yaml:2: /pbx/transport: must be one of "udp", "tcp", "tls"',
      'lampfield.yaml:8: key 0: has an unknown field "colour"',
      'lampfield.yaml:8: key 0: must be >= 1',
    ]);
  });
});

describe('a config of layers (a provisioned file over the card’s)', () => {
  const card = { text: GOOD, source: '/boot/firmware/lampfield.yaml' };

  it('merges mappings name by name and takes a list of keys whole', () => {
    const over = `
pbx: { port: 5080 }
keys:
  - { key: 3, partner: "212", label: Sales }
`;
    const config = parseConfigLayers([card, { text: over, source: 'https://prov.test/a.yaml' }]);
    expect(config.pbx).toMatchObject({ host: '127.0.0.1', port: 5080, transport: 'udp', dialect: 'generic' });
    expect(config.keys.map((key) => [key.key, key.partner, key.label])).toEqual([
      [3, 'sip:212@127.0.0.1', 'Sales'],
    ]);
    expect(config.account.user).toBe('900');
  });

  it('says a mistake of the top layer at its line there, naming it', () => {
    const over = 'keys:\n  - { key: 1, partner: "207" }\npbx:\n  port: fifty\n';
    expect(() => parseConfigLayers([card, { text: over, source: 'https://prov.test/a.yaml' }])).toThrow(
      /^https:\/\/prov\.test\/a\.yaml:4: \/pbx\/port: must be integer$/,
    );
    expect(() =>
      parseConfigLayers([card, { text: 'keys: [ { key: 1', source: 'https://prov.test/b.yaml' }]),
    ).toThrow(/^https:\/\/prov\.test\/b\.yaml:1: not valid YAML/);
  });

  it('takes a name such as __proto__ in a fetched file as a name, and refuses it as the schema does', () => {
    const over = '__proto__: { polluted: true }\npbx: { __proto__: { transport: tls } }\n';
    expect(() => parseConfigLayers([card, { text: over, source: 'https://prov.test/c.yaml' }])).toThrow(
      ConfigError,
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(parseConfigLayers([card]).pbx.transport).toBe('udp');
  });
});

describe('provision: where a provisioned file comes from', () => {
  it('takes provision: dhcp as short for { url: dhcp }, with the defaults', () => {
    const config = parseConfig(`${GOOD}\nprovision: dhcp\n`, 'lampfield.yaml');
    expect(config.provision).toEqual({
      url: 'dhcp',
      everyMinutes: 15,
      keep: '/var/lib/lampfield/provisioned.json',
    });
  });

  it('refuses a URL that is neither https:// nor dhcp, at its line', () => {
    expect(() =>
      parseConfig(`${GOOD}\nprovision: { url: http://prov.test/a.yaml }\n`, 'lampfield.yaml'),
    ).toThrow(/^lampfield\.yaml:\d+: \/provision\/url: /);
    expect(() => parseConfig(`${GOOD}\nprovision: dhcp66\n`, 'lampfield.yaml')).toThrow(
      /^lampfield\.yaml:\d+: \/provision: /,
    );
  });
});

describe('update: the card update a config asks for', () => {
  it('takes an https bundle and a version, and refuses anything else in one line each', () => {
    const config = parseConfig(
      `${GOOD}update: { bundle: "https://prov.test/lampfield-0.2.0-arm64.raucb", version: "0.2.0" }\n`,
      'lampfield.yaml',
    );
    expect(config.update).toEqual({
      bundle: 'https://prov.test/lampfield-0.2.0-arm64.raucb',
      version: '0.2.0',
    });
    expect(() =>
      parseConfig(
        `${GOOD}update: { bundle: "http://prov.test/x.raucb", version: "0.2.0" }\n`,
        'lampfield.yaml',
      ),
    ).toThrow(/^lampfield\.yaml:\d+: \/update\/bundle: must match pattern/);
    expect(() =>
      parseConfig(`${GOOD}update: { bundle: "https://prov.test/x.raucb" }\n`, 'lampfield.yaml'),
    ).toThrow(/\/update: must have required property 'version'/);
  });
});
