/**
 * `provision: dhcp` (src/app/dhcp-provision.ts): the DHCPDISCOVER lampfield sends for option 66, the
 * OFFERs a real DHCP server sent back (dnsmasq 2.90, captured on a veth pair in a network namespace:
 * test/fixtures/dhcp/, one hex line each, answers to `dhcpDiscover('02a0b0c0d0e0', 0x4c616d70,
 * '10.77.0.23')`), and the URL made of an option 66 value.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dhcpDiscover, provisionUrlFromDhcp, readDhcpAnswer } from '../../src/app/dhcp-provision.ts';

const MAC = '02a0b0c0d0e0';
const XID = 0x4c616d70;
const captured = (name: string) =>
  Buffer.from(readFileSync(new URL(`../fixtures/dhcp/${name}.hex`, import.meta.url), 'utf8').trim(), 'hex');

describe('the DHCPDISCOVER for option 66', () => {
  it('is a BOOTREQUEST of 300 bytes with the broadcast flag, the card, the address it has, and asks for option 66 alone', () => {
    const message = Buffer.from(dhcpDiscover(MAC, XID, '10.77.0.23'));
    expect(message.length).toBe(300);
    expect([...message.subarray(0, 3)]).toEqual([1, 1, 6]);
    expect(message.readUInt32BE(4)).toBe(XID);
    expect(message.readUInt16BE(10)).toBe(0x8000);
    expect(message.subarray(12, 28).every((byte) => byte === 0)).toBe(true); // ciaddr … giaddr
    expect(message.subarray(28, 34).toString('hex')).toBe(MAC);
    expect([...message.subarray(236, 240)]).toEqual([99, 130, 83, 99]);
    // 53 DISCOVER, 50 the address, 55 [66], end.
    expect([...message.subarray(240, 256)]).toEqual([
      53, 1, 1, 50, 4, 10, 77, 0, 23, 55, 1, 66, 255, 0, 0, 0,
    ]);
  });

  it('leaves the requested address out when the card has none', () => {
    const message = Buffer.from(dhcpDiscover(MAC, XID, null));
    expect([...message.subarray(240, 247)]).toEqual([53, 1, 1, 55, 1, 66, 255]);
  });
});

describe("a DHCP server's answer", () => {
  it("reads option 66 from dnsmasq's OFFER", () => {
    expect(readDhcpAnswer(captured('dnsmasq-offer-66-url'), XID, MAC)).toEqual({
      option66: 'https://prov.example/lampfield/{serial}.yaml',
    });
  });

  it('reads no option 66 from a server that has none for the card', () => {
    expect(readDhcpAnswer(captured('dnsmasq-offer-no-66'), XID, MAC)).toEqual({ option66: null });
  });

  it("takes no answer to another DISCOVER (another xid) or another card's", () => {
    const offer = captured('dnsmasq-offer-66-url');
    expect(readDhcpAnswer(offer, XID + 1, MAC)).toBeNull();
    expect(readDhcpAnswer(offer, XID, '02a0b0c0d0e1')).toBeNull();
    expect(readDhcpAnswer(dhcpDiscover(MAC, XID, null), XID, MAC)).toBeNull(); // a request, not an answer
  });

  it('takes no cut-off answer, and never throws on any datagram', () => {
    const offer = captured('dnsmasq-offer-66-url');
    const end = offer.indexOf(Buffer.from('.yaml')) + 2;
    expect(readDhcpAnswer(offer.subarray(0, end), XID, MAC)).toBeNull();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(offer.length), (noise, at) => {
        const mixed = Buffer.concat([offer.subarray(0, at), Buffer.from(noise)]);
        const answer = readDhcpAnswer(mixed, XID, MAC);
        expect(answer === null || typeof answer.option66 === 'string' || answer.option66 === null).toBe(true);
      }),
    );
  });
});

describe('the URL an option 66 value names', () => {
  it.each([
    ['https://prov.example.com/lampfield/{serial}.yaml', 'https://prov.example.com/lampfield/{serial}.yaml'],
    ['https://prov.example.com/lampfield/', 'https://prov.example.com/lampfield/{mac}.yaml'],
    ['https://prov.example.com', 'https://prov.example.com/{mac}.yaml'],
    ['prov.example.com', 'https://prov.example.com/{mac}.yaml'],
    ['prov.example.com:8443/panels/', 'https://prov.example.com:8443/panels/{mac}.yaml'],
    ['HTTPS://10.0.0.5/p/{hostname}.yaml', 'https://10.0.0.5/p/{hostname}.yaml'],
  ])('%s → %s', (value, url) => {
    expect(provisionUrlFromDhcp(value)).toEqual({ url });
  });

  it.each([
    [
      'http://prov.example.com/',
      'DHCP option 66 says "http://prov.example.com/": lampfield fetches its config over https:// only',
    ],
    [
      'tftp://10.0.0.5',
      'DHCP option 66 says "tftp://10.0.0.5": lampfield fetches its config over https:// only',
    ],
    ['prov example', 'DHCP option 66 says "prov example", which is no server name or URL'],
  ])('%s is refused in one line', (value, trouble) => {
    expect(provisionUrlFromDhcp(value)).toEqual({ trouble });
  });
});
