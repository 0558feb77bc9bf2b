/**
 * Offline from registrations, or from presence where the PBX refuses those (src/app/offline-watch.ts),
 * with the subscriptions a fake that reports what the test says, and the presence documents Asterisk
 * sent (test/vectors/asterisk/): the switch is made once and said once, a refusal of reg never reaches
 * a key, a refusal of presence too is said once and passed on.
 */
import { describe, expect, it } from 'vitest';
import { OfflineWatch, type MakeWatch } from '../../src/app/offline-watch.ts';
import { notifyParts, readFirstRequest } from '../../src/sip/message-text.ts';
import { partnerUpdate, type PartnerUpdate, type SubscriptionState } from '../../src/sip/partner-update.ts';
import type { PartnerWatch } from '../../src/sip/partner-watch.ts';
import type { NotifyIntake } from '../../src/sip/subscription-context.ts';
import { MemoryLogger } from '../../src/util/log.ts';
import { readVector } from '../support/vectors.ts';

const PARTNERS = ['sip:207@127.0.0.1', 'sip:211@127.0.0.1', 'sip:212@127.0.0.1'];

/** One package's subscriptions, as made: their intake, whether started or stopped, and a way to report. */
interface Made {
  intake: NotifyIntake;
  started: boolean;
  stopped: boolean;
  tell(partner: string, state: SubscriptionState, file?: string): void;
}

function rig() {
  const made: Made[] = [];
  const told: PartnerUpdate[] = [];
  const make: MakeWatch = (intake, onUpdate) => {
    const entry: Made = {
      intake,
      started: false,
      stopped: false,
      tell: (partner, state, file) => {
        if (file != null) intake.notify(notifyParts(readFirstRequest(readVector(file))!), partner);
        onUpdate(partnerUpdate(partner, state, intake.view(partner)));
      },
    };
    made.push(entry);
    const watch: Pick<PartnerWatch, 'start' | 'stop'> = {
      start: () => (entry.started = true),
      stop: () => {
        entry.stopped = true;
        return Promise.resolve();
      },
    };
    return watch as PartnerWatch;
  };
  const log = new MemoryLogger();
  const offline = new OfflineWatch(make, log, (update) => told.push(update));
  return { made, told, log, offline };
}

const REFUSED = { status: 'refused', reason: 'the PBX refused the subscription: 489 Bad Event' } as const;
const said = (log: MemoryLogger, level: string) =>
  log.lines.filter((line) => line.level === level).map((line) => line.message);

describe('offline by registrations, else by presence', () => {
  it('reads registrations while the PBX serves them', () => {
    const { made, told, offline } = rig();
    offline.start();
    expect(made.map((each) => each.intake.event.name)).toEqual(['reg']);
    made[0]!.tell(PARTNERS[0]!, { status: 'active' }, 'kamailio/reg-207-1-empty.sip');
    expect(told.map((update) => update.situation)).toEqual(['offline']);
    expect(offline.package).toBe('reg');
  });

  it('turns to presence at the first refusal of reg, once, said once; the refusals reach no key', () => {
    const { made, told, log, offline } = rig();
    offline.start();
    for (const partner of PARTNERS) made[0]!.tell(partner, REFUSED);
    expect(made.map((each) => each.intake.event.name)).toEqual(['reg', 'presence']);
    expect(made[0]!.stopped).toBe(true);
    expect(made[1]!.started).toBe(true);
    expect(offline.package).toBe('presence');
    expect(told).toEqual([]);
    expect(said(log, 'info')).toEqual([
      'the PBX refuses the registration event package (reg): offline is read from presence',
    ]);
    // Asterisk's PIDF: an endpoint with no contact is closed (offline), one with a contact open.
    made[1]!.tell(PARTNERS[0]!, { status: 'active' }, 'asterisk/presence-207-1-unavailable.sip');
    made[1]!.tell(PARTNERS[0]!, { status: 'active' }, 'asterisk/presence-207-2-registered.sip');
    expect(told.map((update) => update.situation)).toEqual(['offline', 'idle']);
  });

  it('says once when the PBX refuses presence too, and lets the keys show what the dialogs say', () => {
    const { made, told, log, offline } = rig();
    offline.start();
    made[0]!.tell(PARTNERS[0]!, REFUSED);
    for (const partner of PARTNERS) made[1]!.tell(partner, REFUSED);
    expect(said(log, 'warn')).toEqual([
      'the PBX refuses the reg and presence event packages: keys cannot show offline',
    ]);
    expect(told.map((update) => update.status)).toEqual(['refused', 'refused', 'refused']);
  });
});
