import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../infra/local/json.ts';
import { ExecutionRegistry } from '../../infra/local/stepfunctions/execution-registry.ts';
import { createWorkflow } from '../../infra/local/stepfunctions/state-machine.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the local execution trace', () => {
  it('times each iteration of a Map on its own, naming its index, when iterations of the same state overlap', async () => {
    // Two at a time: item 2 enters Encode while item 0 is still in it.
    const definition: StateMachineDefinition = {
      StartAt: 'Parts',
      States: {
        Parts: {
          Type: 'Map',
          ItemsPath: '$.parts',
          MaxConcurrency: 2,
          Iterator: { StartAt: 'Encode', States: { Encode: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } },
          End: true,
        },
      },
    };
    const workflow = createWorkflow({
      definition,
      integrations: {
        'arn:aws:states:::lambda:invoke': async (parameters: JsonValue) => {
          await sleep((parameters as { ms: number }).ms);
          return {};
        },
      },
    });
    const registry = new ExecutionRegistry({ workflow, logger: () => {} });

    const record = await registry.waitFor(registry.start({ parts: [{ ms: 300 }, { ms: 50 }, { ms: 50 }] }));

    const exits = record.trace.filter((entry) => entry.type === 'StateExited' && entry.state === 'Encode');
    expect(exits.map((entry) => entry.index).toSorted()).toEqual([0, 1, 2]);
    const first = exits.find((entry) => entry.index === 0);
    expect(first?.durationMs).toBeGreaterThanOrEqual(290);
    expect(record.trace.find((entry) => entry.state === 'Parts')?.index).toBeUndefined();
  });
});
