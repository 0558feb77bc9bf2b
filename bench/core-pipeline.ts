/**
 * NOTIFY bodies per second through the whole core (reader, reducer, partner state, lamp policy) beside a
 * bare validated fast-xml-parser parse of the same bodies, in the same run (BRIEF §9).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { DIALECTS } from '../src/blf/dialects.ts';
import { readDialogInfo } from '../src/blf/dialog-info-reader.ts';
import { MAX_BODY_BYTES } from '../src/blf/xml-body.ts';
import { DEFAULT_LAMPS, lampFor } from '../src/blf/lamp-policy.ts';
import { applyDocument, FRESH_RECORD } from '../src/blf/partner-record.ts';
import { readPartnerState } from '../src/blf/partner-state.ts';
import { readDialogNotify } from '../src/blf/dialog-notify.ts';
import { notifyParts, readFirstRequest } from '../src/sip/message-text.ts';
import type { BenchRow } from './table.ts';

const VECTORS = new URL('../test/vectors/', import.meta.url);

/** Every well-formed dialog-info body among the vectors: the public ones and the seed's four. */
export function benchBodies(): string[] {
  const bare = new XMLParser();
  const bodies = readdirSync(new URL('dialog-info/', VECTORS))
    .filter((file) => file.endsWith('.xml'))
    .map((file) => readFileSync(new URL(`dialog-info/${file}`, VECTORS), 'utf8'));
  for (const n of [1, 2, 3, 4]) {
    const notify = readDialogNotify(
      notifyParts(readFirstRequest(readFileSync(new URL(`innovaphone/seed-${n}.sip`, VECTORS), 'utf8'))!),
    );
    if (notify.ok) bodies.push(notify.body);
  }
  return bodies.filter((body) => {
    try {
      bare.parse(body, true);
      return true;
    } catch {
      return false;
    }
  });
}

function core(body: string): unknown {
  const read = readDialogInfo(body);
  if (!read.ok) return read.error;
  const outcome = applyDocument(FRESH_RECORD, read.document, null);
  const reading = readPartnerState(outcome.record.dialogs.values(), DIALECTS.generic);
  return lampFor(reading.state, DEFAULT_LAMPS, 'rgb');
}

const bareParser = new XMLParser();
function bare(body: string): unknown {
  return bareParser.parse(body, true) as unknown;
}

/** Bodies per second of `work` over `bodies`, run for about `ms`. */
function rate(work: (body: string) => unknown, bodies: readonly string[], ms: number): number {
  let count = 0;
  let sink: unknown;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (const body of bodies) sink = work(body);
    count += bodies.length;
    elapsed = performance.now() - start;
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return (count / elapsed) * 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function benchCorePipeline(): BenchRow[] {
  const bodies = benchBodies();
  rate(core, bodies, 300);
  rate(bare, bodies, 300);
  const coreRates: number[] = [];
  const bareRates: number[] = [];
  // Interleaved rounds, so that both see the same machine load; the median of each is reported.
  for (let round = 0; round < 5; round++) {
    coreRates.push(rate(core, bodies, 400));
    bareRates.push(rate(bare, bodies, 400));
  }
  const coreRate = median(coreRates);
  const bareRate = median(bareRates);

  const deep = `<dialog-info>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</dialog-info>`;
  const many = `<dialog-info entity="sip:1@h" version="1" state="full">${Array.from(
    { length: 1000 },
    (_, i) => `<dialog id="d${i}"><state>early</state></dialog>`,
  ).join('')}</dialog-info>`;
  const perDocumentMs = (body: string) => 1000 / rate(core, [body], 300);
  // The largest document lampfield reads (over TCP): dialogs until 1 MiB, against the 1,000-dialog one.
  const dialogs: string[] = [];
  let size = 0;
  while (size < MAX_BODY_BYTES - 300) {
    const dialog = `<dialog id="d${dialogs.length}"><state>early</state></dialog>`;
    dialogs.push(dialog);
    size += dialog.length;
  }
  const largest = `<dialog-info entity="sip:1@h" version="1" state="full">${dialogs.join('')}</dialog-info>`;
  const largestMs = perDocumentMs(largest);
  const manyMs = perDocumentMs(many);
  const perByte = (ms: number, body: string) => ms / body.length;

  return [
    { figure: `core pipeline, ${bodies.length} vector bodies`, value: coreRate.toFixed(0), unit: 'bodies/s' },
    {
      figure: 'bare validated fast-xml-parser parse, same bodies',
      value: bareRate.toFixed(0),
      unit: 'bodies/s',
    },
    { figure: 'core / bare parse (target ≥ 0.9)', value: (coreRate / bareRate).toFixed(2), unit: 'ratio' },
    {
      figure: 'hostile: 5,000-deep nesting, refused',
      value: perDocumentMs(deep).toFixed(3),
      unit: 'ms/body',
    },
    {
      figure: `hostile: 1,000-dialog body (${(many.length / 1024).toFixed(0)} KiB)`,
      value: manyMs.toFixed(3),
      unit: 'ms/body',
    },
    {
      figure: `largest body read: ${dialogs.length.toLocaleString('en')} dialogs (${(largest.length / 1024).toFixed(0)} KiB)`,
      value: largestMs.toFixed(1),
      unit: 'ms/body',
    },
    {
      figure: 'time per byte, largest vs 1,000-dialog body (linear ≈ 1)',
      value: (perByte(largestMs, largest) / perByte(manyMs, many)).toFixed(2),
      unit: 'ratio',
    },
  ];
}
