import { describe, expect, it } from 'vitest';
import { LocalEventBus } from '../../infra/local/events/event-bus.ts';
import { eventBridgeIntegrations } from '../../infra/local/stepfunctions/integrations/eventbridge.ts';
import type { TaskInvocation } from '../../infra/local/stepfunctions/task-integration.ts';

const invocation: TaskInvocation = {
  task: { name: 'PublishVideoSaved', resource: 'arn:aws:states:::events:putEvents', parameters: {} },
  execution: { name: 'e1', taskToken: 't1' },
};

describe('the local putEvents integration', () => {
  it('puts each entry on the bus as EventBridge delivers it, and answers like PutEvents', async () => {
    const lines: string[] = [];
    const bus = new LocalEventBus((line) => lines.push(line));
    const putEvents = eventBridgeIntegrations(bus)['arn:aws:states:::events:putEvents']!;

    const answer = await putEvents(
      { Entries: [{ EventBusName: 'vidp-local-events', Source: 'vidp.pipeline', DetailType: 'VideoSaved', Detail: { video_id: 'v1' } }] },
      invocation,
    );

    const [event] = bus.list();
    expect(event).toMatchObject({
      'detail-type': 'VideoSaved',
      source: 'vidp.pipeline',
      detail: { video_id: 'v1' },
      eventBusName: 'vidp-local-events',
      account: '000000000000',
    });
    expect(answer).toEqual({ Entries: [{ EventId: event!.id }], FailedEntryCount: 0 });
    expect(lines).toEqual(['[events] VideoSaved on vidp-local-events: {"video_id":"v1"}']);
  });

  it('reads a Detail given as a JSON string', async () => {
    const bus = new LocalEventBus(() => {});
    await eventBridgeIntegrations(bus)['arn:aws:states:::events:putEvents']!(
      { Entries: [{ Source: 's', DetailType: 'd', Detail: '{"a":1}' }] },
      invocation,
    );
    expect(bus.list()[0]?.detail).toEqual({ a: 1 });
  });

  it('fails the task like the real integration when an entry is incomplete', async () => {
    const putEvents = eventBridgeIntegrations(new LocalEventBus(() => {}))['arn:aws:states:::events:putEvents']!;
    await expect(putEvents({ Entries: [{ Source: 's' }] }, invocation)).rejects.toMatchObject({ name: 'EventBridge.FailedEntry' });
    await expect(putEvents({ Entries: [] }, invocation)).rejects.toMatchObject({ name: 'EventBridge.ValidationException' });
  });

  it('lets a reader wait for an event that has not been published yet', async () => {
    const bus = new LocalEventBus(() => {});
    const waiting = bus.waitFor((event) => event['detail-type'] === 'VideoFailed', 1000);
    bus.put({ ...sample(), 'detail-type': 'VideoSaved' });
    bus.put({ ...sample(), 'detail-type': 'VideoFailed' });
    await expect(waiting).resolves.toMatchObject({ 'detail-type': 'VideoFailed' });
  });
});

function sample() {
  return {
    version: '0' as const,
    id: 'id',
    'detail-type': 'x',
    source: 'vidp.pipeline',
    account: '000000000000',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {},
    eventBusName: 'b',
  };
}
