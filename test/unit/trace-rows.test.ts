import { describe, expect, it } from 'vitest';
import { stateRows } from '../../web/src/trace-rows.ts';

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, seconds)).toISOString();

describe('the page’s execution trace', () => {
  it('gives each Map iteration its own row, timed on its own, though the iterations overlap', () => {
    const rows = stateRows([
      { type: 'StateEntered', state: 'EncodeSegment', stateType: 'Task', timestamp: at(0), index: 0 },
      { type: 'StateEntered', state: 'EncodeSegment', stateType: 'Task', timestamp: at(1), index: 1 },
      { type: 'StateRetried', state: 'EncodeSegment', stateType: 'Task', timestamp: at(3), index: 1 },
      { type: 'StateExited', state: 'EncodeSegment', stateType: 'Task', timestamp: at(5), index: 0 },
      { type: 'StateExited', state: 'EncodeSegment', stateType: 'Task', timestamp: at(9), index: 1 },
    ]);
    expect(rows).toEqual([
      { state: 'EncodeSegment', iteration: 0, stateType: 'Task', status: 'Succeeded', retries: 0, durationMs: 5000 },
      { state: 'EncodeSegment', iteration: 1, stateType: 'Task', status: 'Succeeded', retries: 1, durationMs: 8000 },
    ]);
  });
});
