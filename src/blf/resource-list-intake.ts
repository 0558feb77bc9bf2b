/**
 * One subscription for a whole panel (RFC 4662): the resource list server's NOTIFYs, each a
 * `multipart/related` body whose root part is RLMI (rlmi.ts) and whose other parts are the resources'
 * own dialog-info documents. Each part is read by the one dialog-info path (DialogIntake), as a
 * partner's own subscription would read it, so a key shows the same whichever way it is watched. Pure.
 *
 * The list's table (RFC 4662 §5.6): per resource, the state of the list server's subscription to it
 * (`instance`: active, pending, terminated with a reason). Full state replaces the table; a partial
 * one updates the resources it names. Versions count per list subscription (a new Call-ID starts
 * afresh): a full document not newer than the table is dropped, a partial one exactly one newer is
 * applied, one further ahead is applied and asks for a refresh (full state), an older one is dropped.
 * The resources' own documents keep their own versions, per list subscription and instance.
 *
 * In time linear in the NOTIFY: each part is read once, however many resources point to it, and each
 * resource finds its partner in an index (uri.ts PartnerIndex), not by a search through every key.
 */
import type { NotifyParts } from './dialog-notify.ts';
import type { ChosenDialect } from './dialect-choice.ts';
import type { Dialect } from './dialects.ts';
import { DialogIntake, type NotifyResult, type PartnerView, type IntakeOptions } from './dialog-intake.ts';
import { mediaType, readMultipart } from './multipart.ts';
import { readRlmi, type RlmiInstance } from './rlmi.ts';
import { readDialogInfo } from './dialog-info-reader.ts';
import type { ReadResult } from './dialog-info.ts';
import type { BodyPart } from './multipart.ts';
import { PartnerIndex } from './uri.ts';

/** What the list says of one partner's resource. */
export type ResourceState =
  /** No full list yet: the list server has said nothing of any resource. */
  | { kind: 'unknown' }
  /** The list does not hold the partner. */
  | { kind: 'absent' }
  | { kind: 'pending' }
  | { kind: 'active' }
  | { kind: 'terminated'; reason: string | null };

interface Table {
  /** The list subscription's Call-ID: versions count per subscription. */
  subscription: string | null;
  version: number;
  /** Partner → its instance's state, for the partners the list holds. */
  resources: Map<string, ResourceState>;
}

export class ResourceListIntake {
  /** RFC 4662 §4.1: the subscriber says it takes lists, and the bodies a list's NOTIFYs carry. */
  readonly event = {
    name: 'dialog',
    accept: 'application/dialog-info+xml, application/rlmi+xml, multipart/related',
    supported: 'eventlist',
  } as const;
  readonly unsolicited = false;
  private readonly dialogs: DialogIntake;
  private table: Table | null = null;
  /** The partners whose documents came since the last `takeApplied`, as those documents left them. */
  private applied = new Map<string, PartnerView>();
  /** The PBX answered the list's subscription with a partner's own document: it serves no such list. */
  notAList = false;
  /** Dialog-info parts read so far (each part once per NOTIFY, however many resources name it). */
  partsRead = 0;
  private readonly index: PartnerIndex;

  constructor(
    dialect: Dialect | ChosenDialect,
    /** The partners the keys watch, as the config names them. */
    partners: readonly string[],
    /** The PBX's address, for resource URIs that name it where the config names a domain. */
    pbxAddress: string,
    options: IntakeOptions = {},
  ) {
    this.dialogs = new DialogIntake(dialect, options);
    this.index = new PartnerIndex(partners, pbxAddress);
  }

  /** A NOTIFY of the list subscription (RFC 4662 §5); `list` is the list's URI. */
  notify(parts: NotifyParts, listUri: string | null = null): NotifyResult {
    // The list itself is no partner: its result carries no partner's state (each partner's is `view`).
    const view: PartnerView = {
      entity: listUri,
      version: null,
      state: 'unknown',
      dialogs: [],
      pickup: null,
      focus: null,
    };
    const refuse = (code: 'not-a-list' | 'bad-list', message: string, resubscribe = false): NotifyResult => ({
      accepted: false,
      view,
      error: { code, message },
      resubscribe,
    });
    const event = parts.header('event')?.split(';')[0]?.trim().toLowerCase();
    if (event != null && event !== 'dialog')
      return {
        accepted: false,
        view,
        error: { code: 'not-dialog-event', message: `Event is "${event}"` },
        resubscribe: false,
      };
    const contentType = parts.header('content-type') ?? '';
    const type = mediaType(contentType);
    // RFC 6665 §4.2.2: a NOTIFY may carry no body (a pending subscription, or its end): it says nothing
    // of the resources, and takes nothing away.
    if (type == null && parts.body.trim() === '') return { accepted: true, view };
    if (type !== 'multipart/related') {
      // RFC 4662 §4.1: a server that does not take the URI for a list answers as for one resource.
      this.notAList = true;
      return refuse(
        'not-a-list',
        `the PBX answered with ${type ?? 'no body'}, not a resource list (multipart/related)`,
      );
    }
    this.notAList = false;
    const multipart = readMultipart(contentType, parts.body);
    if (!multipart.ok) return refuse('bad-list', multipart.message);
    const root =
      multipart.parts.find((part) => multipart.start != null && part.id === multipart.start) ??
      multipart.parts[0];
    if (root?.type !== 'application/rlmi+xml')
      return refuse('bad-list', 'the root part is not application/rlmi+xml');
    const rlmi = readRlmi(root.body);
    if (!rlmi.ok) return refuse('bad-list', rlmi.message);
    const { list } = rlmi;
    const subscription = parts.header('call-id');
    const table = this.table?.subscription === subscription ? this.table : null;
    // RFC 4662 §5.6.1, §5.6.2: what this document's version makes of it.
    if (table != null && list.version <= table.version)
      return {
        accepted: false,
        view,
        error: {
          code: 'stale-version',
          message: `RLMI version ${list.version} is not newer than ${table.version}`,
        },
        resubscribe: false,
      };
    if (table == null && !list.fullState)
      return refuse('bad-list', 'a partial RLMI document before any full one', true);
    const gap = table != null && !list.fullState && list.version > table.version + 1;
    const resources = list.fullState || table == null ? new Map<string, ResourceState>() : table.resources;
    this.table = { subscription, version: list.version, resources };
    const byId = new Map(multipart.parts.flatMap((part) => (part.id == null ? [] : [[part.id, part]])));
    const reads = new Map<BodyPart, ReadResult>();
    const read = (part: BodyPart) => {
      let result = reads.get(part);
      if (result == null) {
        result = readDialogInfo(part.body);
        reads.set(part, result);
        this.partsRead++;
      }
      return result;
    };
    for (const resource of list.resources) {
      const partner = this.index.find(resource.uri);
      if (partner == null) continue; // a resource no key watches
      const instance = resource.instances[0];
      resources.set(partner, instanceState(instance));
      // The resource's own document: read as its own subscription's (per list subscription and instance).
      const part = instance?.cid == null ? undefined : byId.get(instance.cid);
      if (instance != null && part != null && part.type === 'application/dialog-info+xml') {
        const result = this.dialogs.apply({
          body: part.body,
          read: read(part),
          partner,
          subscription: `${subscription ?? ''} ${instance.id}`,
        });
        this.applied.set(partner, result.view);
      }
    }
    if (gap) return refuse('bad-list', `RLMI versions skipped: ${list.version} after ${table.version}`, true);
    return { accepted: true, view };
  }

  /**
   * The partners whose documents the list's NOTIFYs brought since this was last asked, each once, with
   * its state as they left it (read once, where the document was applied).
   */
  takeApplied(): ReadonlyMap<string, PartnerView> {
    const applied = this.applied;
    this.applied = new Map();
    return applied;
  }

  /** What the list says of a partner's resource. */
  resource(partner: string): ResourceState {
    if (this.table == null) return { kind: 'unknown' };
    return this.table.resources.get(partner) ?? { kind: 'absent' };
  }

  /** The partner's dialogs, as the list's parts gave them. */
  view(partner: string | null): PartnerView {
    return this.dialogs.view(partner);
  }
}

function instanceState(instance: RlmiInstance | undefined): ResourceState {
  // RFC 4662 §5.2: a resource without an instance has no back-end subscription yet.
  if (instance == null || instance.state === 'pending') return { kind: 'pending' };
  if (instance.state === 'active') return { kind: 'active' };
  return { kind: 'terminated', reason: instance.reason };
}
