import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';

const text = readFileSync(new URL('../../statemachine/pipeline.asl.json', import.meta.url), 'utf8');
const definition = JSON.parse(text) as { States: Record<string, { Type: string; Resource?: string; Catch?: unknown[]; Next?: string; End?: boolean }> };

describe('statemachine/pipeline.asl.json', () => {
  it('is a valid Amazon States Language definition', () => {
    const { isValid, errors } = aslValidator(definition);
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('stays on JSONPath: no JSONata, no Assign (the local runner ignores them silently)', () => {
    expect(text).not.toMatch(/"QueryLanguage"\s*:\s*"JSONata"/);
    expect(text).not.toMatch(/"Assign"\s*:/);
  });

  it('routes every failure of a work step to MarkFailed', () => {
    const workSteps = ['ClaimJob', 'PrepareSubtitles', 'Transcode', 'RecordResult'];
    for (const name of workSteps) {
      const catchers = definition.States[name]?.Catch as { ErrorEquals: string[]; Next: string }[];
      expect(catchers.find((c) => c.ErrorEquals.includes('States.ALL'))?.Next, name).toBe('MarkFailed');
    }
  });
});
