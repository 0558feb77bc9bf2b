/**
 * The provisioning server's address from DHCP (README "Many panels", `provision: dhcp`), as desk phones
 * take theirs: option 66 (RFC 2132 §9.4, "TFTP server name"), which PBX admins already fill in for
 * their phones. Pure: the DHCPDISCOVER that asks for it, the reading of the answer, and the URL made of
 * its value. The asking (a UDP socket on port 68) is the platform's (src/real-platform.ts).
 *
 * Why a DISCOVER of its own: the card's DHCP client (systemd-networkd) asks for the address and keeps
 * no option 66 in its lease. A DISCOVER (RFC 2131 §4.4.1) is answered by an OFFER with the options
 * asked for in option 55; lampfield never sends the REQUEST that would take it, so the offer lapses and
 * nothing changes on the server. It names the address the card has (option 50), so that the server
 * offers that one rather than setting another aside. DHCPINFORM (RFC 2131 §3.4) would be the textbook
 * way, but its answer goes to the card's address, where networkd's own socket takes it; and qemu's
 * DHCP server (the image test's) does not answer it.
 */

/** RFC 2131 §3: the magic cookie that starts the options. */
const COOKIE = [99, 130, 83, 99];
const OPTION_PAD = 0;
const OPTION_END = 255;
const OPTION_REQUESTED_ADDRESS = 50;
const OPTION_OVERLOAD = 52;
const OPTION_MESSAGE_TYPE = 53;
const OPTION_PARAMETER_LIST = 55;
const OPTION_TFTP_SERVER_NAME = 66;
const DHCPDISCOVER = 1;
const DHCPOFFER = 2;
const DHCPACK = 5;
/** RFC 2131 §2: op, htype … file: the fixed part, 236 bytes, before the cookie. */
const FIXED = 236;
/** RFC 1542 §3.2.2: a BOOTP message of less than 300 bytes may be dropped by relays and old servers. */
const MINIMUM = 300;

/** The DHCPDISCOVER that asks for option 66, for the network card `mac` (12 hex digits) at `address`. */
export function dhcpDiscover(mac: string, xid: number, address: string | null): Uint8Array {
  const message = new Uint8Array(MINIMUM);
  const view = new DataView(message.buffer);
  message[0] = 1; // BOOTREQUEST
  message[1] = 1; // Ethernet
  message[2] = 6; // its address is 6 bytes
  view.setUint32(4, xid >>> 0);
  view.setUint16(10, 0x8000); // RFC 2131 §4.1: broadcast flag, so that the OFFER comes to port 68 of all
  message.set(macBytes(mac), 28);
  message.set(COOKIE, FIXED);
  const options = [OPTION_MESSAGE_TYPE, 1, DHCPDISCOVER];
  const ipv4 = address == null ? null : ipv4Bytes(address);
  if (ipv4 != null) options.push(OPTION_REQUESTED_ADDRESS, 4, ...ipv4);
  options.push(OPTION_PARAMETER_LIST, 1, OPTION_TFTP_SERVER_NAME, OPTION_END);
  message.set(options, FIXED + COOKIE.length);
  return message;
}

/** What an answer to the DISCOVER said: its option 66 (null: the server has none for this card). */
export interface DhcpAnswer {
  option66: string | null;
}

/**
 * Reads a datagram that came to port 68: the OFFER (or ACK) to this DISCOVER (`xid`, `mac`), or null
 * for anything else (another client's answer, a malformed message).
 */
export function readDhcpAnswer(datagram: Uint8Array, xid: number, mac: string): DhcpAnswer | null {
  if (datagram.length < FIXED + COOKIE.length + 1 || datagram[0] !== 2) return null;
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  if (view.getUint32(4) !== xid >>> 0) return null;
  const hardware = macBytes(mac);
  if (hardware.some((byte, index) => datagram[28 + index] !== byte)) return null;
  if (COOKIE.some((byte, index) => datagram[FIXED + index] !== byte)) return null;
  const options = readOptions(datagram.subarray(FIXED + COOKIE.length));
  if (options == null) return null;
  const type = options.get(OPTION_MESSAGE_TYPE)?.[0];
  if (type !== DHCPOFFER && type !== DHCPACK) return null;
  const value = options.get(OPTION_TFTP_SERVER_NAME);
  // RFC 2132 §2: a string option is not NUL-terminated, but some servers add one.
  const text = value == null ? '' : new TextDecoder().decode(value).replace(/\0+$/, '').trim();
  return { option66: text === '' ? null : text };
}

/** The options (RFC 2132 §2), each by its code (a code given twice is joined, RFC 3396); null if cut off. */
function readOptions(bytes: Uint8Array): Map<number, Uint8Array> | null {
  const options = new Map<number, Uint8Array>();
  let at = 0;
  while (at < bytes.length) {
    const code = bytes[at]!;
    if (code === OPTION_END) return options;
    if (code === OPTION_PAD) {
      at += 1;
      continue;
    }
    const length = bytes[at + 1];
    if (length == null || at + 2 + length > bytes.length) return null;
    const value = bytes.subarray(at + 2, at + 2 + length);
    const before = options.get(code);
    options.set(code, before == null ? value : new Uint8Array([...before, ...value]));
    at += 2 + length;
  }
  // Without an end option (some servers stop at the datagram's end): what was read, unless overloaded
  // options (RFC 2132 §9.3) were meant to go on in sname/file, which this does not read.
  return options.has(OPTION_OVERLOAD) ? null : options;
}

/**
 * The provisioning URL an option 66 value names, or why it names none. Phones take a server name or a
 * URL there; so does lampfield: `prov.example.com` is https://prov.example.com/, and a URL that ends in
 * `/` (a folder, as phones are given) gets this panel's file in it, `{mac}.yaml`. Placeholders are kept
 * for provisioning.ts to fill in. HTTPS only, as for provision.url.
 */
export function provisionUrlFromDhcp(value: string): { url: string } | { trouble: string } {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme != null && scheme !== 'https')
    return { trouble: `DHCP option 66 says "${value}": lampfield fetches its config over https:// only` };
  const url = scheme == null ? `https://${value}` : value;
  const parts = /^https:\/\/([^\s/?#]+)(\/[^\s]*)?$/i.exec(url);
  if (parts == null) return { trouble: `DHCP option 66 says "${value}", which is no server name or URL` };
  const path = parts[2] ?? '/';
  return { url: `https://${parts[1]}${path.endsWith('/') ? `${path}{mac}.yaml` : path}` };
}

function macBytes(mac: string): number[] {
  return Array.from(
    { length: 6 },
    (_, index) => Number.parseInt(mac.slice(index * 2, index * 2 + 2), 16) || 0,
  );
}

function ipv4Bytes(address: string): number[] | null {
  const parts = address.split('.').map((part) => Number(part));
  return parts.length === 4 && parts.every((part) => Number.isInteger(part) && part >= 0 && part <= 255)
    ? parts
    : null;
}
