/**
 * The Resource List Meta-Information document (RFC 4662 §5.2, `application/rlmi+xml`): which resources a
 * list holds, and the state of each one's back-end subscription (its `instance`), with the `cid` of
 * the body part that carries the resource's own state. Pure: never throws.
 */
import { attribute, children, localName, nameOf, parseXmlBody, rootNamespace } from './xml-body.ts';

const RLMI_NAMESPACE = 'urn:ietf:params:xml:ns:rlmi';

/** RFC 4662 §5.2: a back-end subscription of the list server, for one resource. */
export interface RlmiInstance {
  id: string;
  state: 'active' | 'pending' | 'terminated';
  /** Why a terminated instance ended (RFC 6665 reasons: `rejected`, `noresource`, `timeout` …). */
  reason: string | null;
  /** The Content-ID of the body part with the resource's state (none: no state in this NOTIFY). */
  cid: string | null;
}

export interface RlmiResource {
  uri: string;
  instances: RlmiInstance[];
}

export interface RlmiList {
  uri: string | null;
  /** RFC 4662 §5.2: counts up by one per NOTIFY of the subscription. */
  version: number;
  /** True: the document lists every resource; false: only those that changed. */
  fullState: boolean;
  resources: RlmiResource[];
}

export type RlmiResult = { ok: true; list: RlmiList } | { ok: false; message: string };

const STATES = new Set(['active', 'pending', 'terminated']);

export function readRlmi(body: string): RlmiResult {
  const parsed = parseXmlBody(body);
  if (!parsed.ok) return { ok: false, message: parsed.message };
  const root = parsed.roots[0]!;
  if (localName(nameOf(root) ?? '') !== 'list' || rootNamespace(root) !== RLMI_NAMESPACE)
    return { ok: false, message: `the root part is not an RLMI <list> in ${RLMI_NAMESPACE}` };
  const versionText = attribute(root, 'version');
  const version = versionText != null && /^\d{1,15}$/.test(versionText) ? Number(versionText) : null;
  if (version == null) return { ok: false, message: `RLMI version "${versionText ?? ''}" is not a number` };
  // RFC 4662 §5.2: "true" (or "1"), "false" (or "0").
  const fullState = { true: true, '1': true, false: false, '0': false }[
    (attribute(root, 'fullState') ?? '').toLowerCase()
  ];
  if (fullState == null) return { ok: false, message: 'RLMI <list> without fullState="true" or "false"' };
  const resources: RlmiResource[] = [];
  for (const resource of children(root, 'resource')) {
    const uri = attribute(resource, 'uri');
    if (uri == null) continue;
    const instances: RlmiInstance[] = [];
    for (const instance of children(resource, 'instance')) {
      const id = attribute(instance, 'id');
      const state = attribute(instance, 'state')?.toLowerCase() ?? '';
      if (id == null || !STATES.has(state)) continue;
      instances.push({
        id,
        state: state as RlmiInstance['state'],
        reason: attribute(instance, 'reason'),
        cid: attribute(instance, 'cid'),
      });
    }
    resources.push({ uri, instances });
  }
  return {
    ok: true,
    list: { uri: attribute(root, 'uri'), version, fullState, resources },
  };
}
