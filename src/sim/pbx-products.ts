/**
 * What each simulated PBX family calls itself in its Server and User-Agent headers, as its own source
 * writes it, so that `pbx.dialect: auto` meets in the simulator what it meets on a real PBX:
 * - Asterisk: res/res_pjsip/config_global.c, DEFAULT_USERAGENT_PREFIX "Asterisk PBX" followed by the
 *   version (chan_sip's default `useragent` is the same).
 * - FreeSWITCH: src/mod/endpoints/mod_sofia/mod_sofia.h, SOFIA_USER_AGENT "FreeSWITCH-mod_sofia/" and the
 *   version.
 * - Kamailio: its `server_header`/`user_agent_header` default, "kamailio (<version> (<arch>/<os>))", as
 *   captured from Kamailio 5.6.3 (test/vectors/kamailio).
 * - innovaphone: none; the seed's NOTIFYs carry neither header (innovaphone is known by its unasked
 *   NOTIFYs). generic: a PBX that says nothing of itself.
 */
import type { DialectName } from '../blf/dialects.ts';

export const PBX_PRODUCTS: Readonly<Record<DialectName, string | null>> = {
  asterisk: 'Asterisk PBX 20.5.0',
  freeswitch: 'FreeSWITCH-mod_sofia/1.10.10-release~64bit',
  kamailio: 'kamailio (5.6.3 (x86_64/linux))',
  innovaphone: null,
  generic: null,
};
