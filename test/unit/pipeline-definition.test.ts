import { describe, expect, it } from 'vitest';
import {
  pipelineFunctionsOf,
  placeholdersIn,
  substitutePlaceholders,
  substitutionsFor,
  taskStatesOf,
} from '../../infra/shared/pipeline-definition.ts';

/** Reading the ASL the way both clouds do: infra/aws deploys what this finds, infra/local runs it. */
describe('placeholdersIn', () => {
  it('lists each placeholder once, in order of appearance', () => {
    expect(placeholdersIn('${A} ${B} ${A}')).toEqual(['A', 'B']);
  });
});

describe('substitutionsFor', () => {
  it('passes only the placeholders the definition uses', () => {
    expect(substitutionsFor('{"A": "${Used}"}', { Used: 'u', Unused: 'x' })).toEqual({ Used: 'u' });
  });

  it('fails naming every placeholder left without a value, and who should have provided it', () => {
    expect(() => substitutionsFor('${A} ${B} ${C}', { B: 'b' }, 'the CDK app')).toThrow(/\$\{A\}, \$\{C\}, which the CDK app does not provide/);
  });
});

describe('substitutePlaceholders', () => {
  it('fills every ${Placeholder} as CloudFormation definitionSubstitutions do', () => {
    expect(substitutePlaceholders('{"TableName": "${Table}", "Bucket": "${Bucket}/${Table}"}', { Table: 't', Bucket: 'b' })).toBe(
      '{"TableName": "t", "Bucket": "b/t"}',
    );
  });

  it('throws rather than leave a placeholder in the definition', () => {
    expect(() => substitutePlaceholders('{"A": "${A}"}', {})).toThrow('${A}');
  });
});

describe('taskStatesOf', () => {
  it('finds Task states inside Parallel branches and Map iterators, with their timeouts', () => {
    const definition = JSON.stringify({
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'Left', States: { Left: { Type: 'Task', Resource: 'arn:left', End: true } } }],
          Next: 'Each',
        },
        Each: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Task', Resource: 'arn:item', HeartbeatSeconds: 5, End: true } } },
          Next: 'Top',
        },
        Top: { Type: 'Task', Resource: 'arn:top', Parameters: { A: 1 }, TimeoutSeconds: 9, End: true },
      },
    });

    expect(taskStatesOf(definition)).toEqual([
      { name: 'Left', resource: 'arn:left', parameters: {} },
      { name: 'Item', resource: 'arn:item', parameters: {}, heartbeatSeconds: 5 },
      { name: 'Top', resource: 'arn:top', parameters: { A: 1 }, timeoutSeconds: 9 },
    ]);
  });

  it('refuses a Task state without a Resource', () => {
    expect(() => taskStatesOf({ States: { Broken: { Type: 'Task' } } })).toThrow('Task state Broken has no Resource');
  });
});

describe('pipelineFunctionsOf', () => {
  it('names the function module of each `${…FunctionArn}` placeholder, and nothing else', () => {
    const definition = '{"A": "${PrepareSubtitlesFunctionArn}", "B": "${VideosTable}", "C": "${MarkFailedFunctionArn}"}';

    expect(pipelineFunctionsOf(definition)).toEqual([
      { placeholder: 'PrepareSubtitlesFunctionArn', name: 'prepare-subtitles' },
      { placeholder: 'MarkFailedFunctionArn', name: 'mark-failed' },
    ]);
  });
});
