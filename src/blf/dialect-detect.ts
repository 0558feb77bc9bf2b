/**
 * `pbx.dialect: auto`: which PBX family sends the NOTIFYs, from what the PBX says it is (its Server and
 * User-Agent headers, RFC 3261 §20.35 and §20.41) and, where it says nothing, from how it behaves: only
 * innovaphone sends dialog NOTIFYs without a subscription, their documents without an entity (the seed). Pure. The product names are those
 * each family's source writes:
 * - Asterisk: res_pjsip's default `useragent` is DEFAULT_USERAGENT_PREFIX "Asterisk PBX" and the version
 *   (res/res_pjsip/config_global.c); chan_sip writes the same.
 * - FreeSWITCH: mod_sofia's SOFIA_USER_AGENT, "FreeSWITCH-mod_sofia/<version>" (older: "FreeSWITCH(mod_sofia)").
 * - Kamailio: "kamailio (5.6.3 (x86_64/linux))" (test/vectors/kamailio); OpenSIPS, its sibling with the
 *   same presence modules, "OpenSIPS (<version> (<arch>/<os>))".
 * Where the PBX names no product, the first dialog-info documents can: Kamailio's pua_dialoginfo gives
 * dialogs ids `padi-…` (notes/kamailio.md), FreeSWITCH a ringing dialog the remote target `sip:**<partner>@…`
 * (its intercept URI), Asterisk's res_pjsip a dialog whose id is the extension and no call-id
 * (notes/dialects.md). A PBX that shows none of these is read the tolerant RFC 4235 way.
 */
import type { DialogInfoDocument } from './dialog-info.ts';
import type { DialectName } from './dialects.ts';
import { uriUser } from './uri.ts';

export interface DialectChoice {
  dialect: DialectName;
  /** Why, in words for the log and `doctor`. */
  evidence: string;
}

const PRODUCTS: readonly [RegExp, DialectName][] = [
  [/\basterisk\b/i, 'asterisk'],
  [/\bfreeswitch\b/i, 'freeswitch'],
  [/^\s*(kamailio|opensips|sip-router)\b/i, 'kamailio'],
  [/\binnovaphone\b/i, 'innovaphone'],
];

/** The family a Server or User-Agent value names; null for none known. */
export function dialectOfProduct(
  header: 'Server' | 'User-Agent',
  value: string | null,
): DialectChoice | null {
  if (value == null) return null;
  for (const [pattern, dialect] of PRODUCTS)
    if (pattern.test(value)) return { dialect, evidence: `the PBX's ${header} is "${value.trim()}"` };
  return null;
}

/**
 * Chooses once, from the first evidence that names a family. `unsolicited` is the evidence of a dialog
 * NOTIFY from the PBX outside any subscription, for a watched partner (innovaphone's way).
 */
export class DialectDetector {
  private choice: DialectChoice | null = null;

  get chosen(): DialectChoice | null {
    return this.choice;
  }

  /** A message's Server and User-Agent; the choice, when this made it. */
  sawProduct(server: string | null, userAgent: string | null): DialectChoice | null {
    if (this.choice != null) return null;
    this.choice = dialectOfProduct('Server', server) ?? dialectOfProduct('User-Agent', userAgent);
    return this.choice;
  }

  /** A dialog-info document from the PBX; the choice, when its shape made it. */
  sawDocument(document: DialogInfoDocument): DialectChoice | null {
    if (this.choice != null) return null;
    const entityUser = uriUser(document.entity);
    for (const dialog of document.dialogs) {
      if (dialog.id?.startsWith('padi-') === true)
        return (this.choice = {
          dialect: 'kamailio',
          evidence: `its dialog ids are Kamailio's (${dialog.id})`,
        });
      if (/^sips?:\*\*/.test(dialog.remote.target ?? ''))
        return (this.choice = {
          dialect: 'freeswitch',
          evidence: `a ringing dialog's target is FreeSWITCH's intercept URI (${dialog.remote.target ?? ''})`,
        });
      if (entityUser != null && dialog.id === entityUser && dialog.callId == null)
        return (this.choice = {
          dialect: 'asterisk',
          evidence: `its dialog id is the extension (${dialog.id}) with no call-id, as Asterisk's res_pjsip writes`,
        });
    }
    return null;
  }

  /**
   * A dialog NOTIFY from the PBX that no subscription asked for, with its body; the choice, when this
   * made it. Only a document whose root names no entity is innovaphone's (the seed): a stray or hostile
   * NOTIFY of the usual shape chooses nothing. The root is looked at, not parsed (a flood costs nothing).
   */
  sawUnsolicited(body: string): DialectChoice | null {
    if (this.choice != null) return null;
    const root = /<(?:[\w.-]+:)?dialog-info\b[^>]*>/.exec(body)?.[0];
    if (root == null || /\sentity\s*=/.test(root)) return null;
    this.choice = {
      dialect: 'innovaphone',
      evidence: 'the PBX sends dialog NOTIFYs without a subscription, as innovaphone does',
    };
    return this.choice;
  }
}
