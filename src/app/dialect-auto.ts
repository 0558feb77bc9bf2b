/**
 * `pbx.dialect: auto`: watches what the PBX sends until it shows which family it is (the detector,
 * src/blf/dialect-detect.ts), then chooses that family's dialect once, for every reading at once
 * (src/blf/dialect-choice.ts), and says so in one log line with the evidence. It looks at every message
 * from the PBX's address for its Server and User-Agent, at the shape of the PBX's first 20 dialog-info
 * documents only (a flood of NOTIFYs costs no parsing), and at dialog NOTIFYs that no subscription asked
 * for, naming a watched partner (innovaphone's way).
 */
import { DialectDetector, type DialectChoice } from '../blf/dialect-detect.ts';
import type { ChosenDialect } from '../blf/dialect-choice.ts';
import { DIALECTS } from '../blf/dialects.ts';
import { readDialogInfo } from '../blf/dialog-info-reader.ts';
import { partnerNamedBy } from '../blf/uri.ts';
import { headerText, type SipMessage } from '../sip/message.ts';
import type { IncomingRequest, SipRemote } from '../sip/stack.ts';
import type { Logger } from '../util/log.ts';

/** How many of the PBX's first dialog-info documents are read for their shape. */
const SHAPES_READ = 20;

export class AutoDialect {
  private readonly detector = new DialectDetector();
  private documentsRead = 0;

  constructor(
    private readonly dialect: ChosenDialect,
    /** The PBX's address: only what comes from it is evidence. */
    private readonly pbxAddress: string,
    /** The partners watched, for an unasked NOTIFY to name. */
    private partners: readonly string[],
    private readonly log: Logger,
  ) {}

  /** The partners watched now (the config's keys changed). */
  watchOnly(partners: readonly string[]): void {
    this.partners = partners;
  }

  /** Every well-formed message the stack receives, before it is dispatched (SipStackOptions.observe). */
  observe(message: SipMessage, remote: SipRemote): void {
    if (this.detector.chosen != null || remote.address !== this.pbxAddress) return;
    this.choose(this.detector.sawProduct(headerText(message, 'server'), headerText(message, 'user-agent')));
    const body = message.content ?? '';
    if (this.detector.chosen != null || message.method !== 'NOTIFY' || body === '') return;
    if (this.documentsRead >= SHAPES_READ) return;
    this.documentsRead++;
    const read = readDialogInfo(body);
    if (read.ok) this.choose(this.detector.sawDocument(read.document));
  }

  /**
   * A request before it is routed; `owned` says whether a subscription takes it. A dialog NOTIFY from
   * the PBX that none does, naming a watched partner by its From, is an unasked one. Never takes it.
   */
  consider(request: IncomingRequest, owned: (request: IncomingRequest) => boolean): boolean {
    if (this.detector.chosen == null && this.unasked(request) && !owned(request))
      this.choose(this.detector.sawUnsolicited(request.message.content ?? ''));
    return false;
  }

  private unasked({ message, remote }: IncomingRequest): boolean {
    return (
      message.method === 'NOTIFY' &&
      remote.address === this.pbxAddress &&
      (headerText(message, 'event') ?? '').split(';')[0]?.trim().toLowerCase() === 'dialog' &&
      partnerNamedBy(message.headers.from?.uri ?? null, this.partners, this.pbxAddress) != null
    );
  }

  /** The family found: every reading follows it from now on (and every partner is read again). */
  private choose(choice: DialectChoice | null): void {
    if (choice == null) return;
    this.log.info(`dialect ${choice.dialect} (auto: ${choice.evidence})`);
    this.dialect.choose(DIALECTS[choice.dialect]);
  }
}
