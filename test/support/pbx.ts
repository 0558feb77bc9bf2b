/**
 * A PBX of the integration tests as the phones and lampfield reach it (Kamailio, Asterisk): where it
 * listens for SIP. Phones register on it with the passwords of kamailio.ts PASSWORDS, which every
 * test PBX's configuration knows.
 */
export interface TestPbx {
  readonly address: string;
  /** Its SIP port on `address` (UDP, and TCP where it listens on both). */
  readonly port: number;
}
