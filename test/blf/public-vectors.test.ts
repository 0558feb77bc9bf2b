/**
 * Every public dialog-info vector (test/vectors/dialog-info/index.json) read as its index expects:
 * alone as the first document of a fresh subscription, or, when it names a sequence, after the files
 * before it in version order. Our `calling` counts as the index's `busy`.
 */
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../src/blf/dialects.ts';
import { DialogIntake } from '../../src/blf/dialog-intake.ts';
import { decodeText } from '../../src/app/decode-text.ts';
import { readVector } from '../support/vectors.ts';

interface Sample {
  file: string;
  lamp?: string;
  lamp_alt?: string[];
  sequence?: string;
  version?: number | null;
  well_formed_xml?: boolean;
  well_formed_expected?: boolean;
  pickup?: string;
  replaces?: string;
  request_uri?: string;
  entity?: string | null;
}

const index = JSON.parse(readVector('dialog-info/index.json')) as { samples: Sample[] };
const readable = index.samples.filter((sample) => sample.lamp != null);

function accepted(sample: Sample): string[] {
  return [sample.lamp!, ...(sample.lamp_alt ?? [])];
}

function asTheirs(state: string): string {
  return state === 'calling' ? 'busy' : state;
}

function decode(watcher: DialogIntake, sample: Sample) {
  const lines = decodeText(watcher, sample.file, readVector(`dialog-info/${sample.file}`));
  if (lines.length !== 1) throw new Error(`${sample.file}: ${lines.length} NOTIFYs, expected one`);
  return lines[0]!;
}

describe('public dialog-info vectors, each alone', () => {
  const alone = readable.filter((sample) => sample.sequence == null);
  it.each(alone.map((sample) => [sample.file, sample] as const))('%s', (_file, sample) => {
    const line = decode(new DialogIntake(DIALECTS.generic), sample);
    expect(accepted(sample)).toContain(asTheirs(line.state));
    if (sample.well_formed_xml === false || sample.well_formed_expected === false) {
      expect(line.accepted).toBe(false);
    }
    if (line.accepted && sample.entity !== undefined && sample.entity !== null) {
      expect(line.entity).toBe(sample.entity);
    }
  });
});

describe('public dialog-info sequences, in version order', () => {
  const sequences = new Map<string, Sample[]>();
  for (const sample of readable) {
    if (sample.sequence == null) continue;
    sequences.set(sample.sequence, [...(sequences.get(sample.sequence) ?? []), sample]);
  }
  it.each([...sequences].map(([name, samples]) => [name, samples] as const))('%s', (_name, samples) => {
    const ordered = [...samples].sort((a, b) => (a.version ?? 0) - (b.version ?? 0));
    const watcher = new DialogIntake(DIALECTS.generic);
    let previous = 'unknown';
    for (const sample of ordered) {
      const line = decode(watcher, sample);
      expect({ file: sample.file, ok: accepted(sample).includes(asTheirs(line.state)) }).toEqual({
        file: sample.file,
        ok: true,
      });
      if (sample.well_formed_xml === false) {
        expect(line.accepted).toBe(false);
        expect(line.state).toBe(previous);
      }
      previous = line.state;
    }
  });
});

describe('pickup as the public vectors expect it', () => {
  it.each(
    readable
      .filter((sample) => sample.lamp === 'ringing' && sample.pickup === 'replaces')
      .map((sample) => [sample.file, sample] as const),
  )('%s: Replaces toward the caller', (_file, sample) => {
    const line = decode(new DialogIntake(DIALECTS.generic), sample);
    expect(line.accepted && line.pickup).toEqual({
      method: 'replaces',
      uri: sample.request_uri,
      replaces: sample.replaces,
    });
  });

  it.each(
    readable
      .filter((sample) => /^(none|feature-code)/.test(sample.pickup ?? '') && sample.lamp === 'ringing')
      .map((sample) => [sample.file, sample] as const),
  )('%s: no Replaces without call-id and both tags', (_file, sample) => {
    const line = decode(new DialogIntake(DIALECTS.generic), sample);
    expect(line.accepted && line.pickup?.method).not.toBe('replaces');
  });
});
