import { randomUUID } from 'node:crypto';
import type { PublishedEvent, LocalEventBus } from '../../events/event-bus.ts';
import type { JsonValue } from '../../json.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../local-resources.ts';
import { parametersObject, taskError, type TaskIntegrations } from '../task-integration.ts';

interface PutEventsEntry {
  EventBusName?: JsonValue;
  Source?: JsonValue;
  DetailType?: JsonValue;
  Detail?: JsonValue;
  Resources?: JsonValue;
}

/**
 * The optimized EventBridge integration (`arn:aws:states:::events:putEvents`): Parameters are PutEvents'
 * request, whose `Detail` may be an object (Step Functions serialises it); the result is PutEvents' answer.
 * Like the real integration, a malformed entry fails the Task with `EventBridge.FailedEntry`.
 */
export function eventBridgeIntegrations(bus: LocalEventBus): TaskIntegrations {
  return {
    'arn:aws:states:::events:putEvents': async (parameters, { task }) => {
      const { Entries } = parametersObject(parameters, task.name);
      if (!Array.isArray(Entries) || Entries.length === 0 || Entries.length > 10) {
        throw taskError('EventBridge.ValidationException', 'Entries must hold 1 to 10 events');
      }
      const events = (Entries as PutEventsEntry[]).map((entry, index) => toEvent(entry, index));
      for (const event of events) bus.put(event);
      return { Entries: events.map((event) => ({ EventId: event.id })), FailedEntryCount: 0 };
    },
  };
}

function toEvent(entry: PutEventsEntry, index: number): PublishedEvent {
  const { EventBusName, Source, DetailType, Detail, Resources } = entry;
  if (typeof Source !== 'string' || typeof DetailType !== 'string' || Detail === undefined) {
    throw taskError('EventBridge.FailedEntry', `Entry ${index} needs Source, DetailType and Detail`);
  }
  let detail: JsonValue = Detail;
  if (typeof Detail === 'string') {
    try {
      detail = JSON.parse(Detail) as JsonValue;
    } catch {
      throw taskError('EventBridge.FailedEntry', `Entry ${index}: Detail is not valid JSON`);
    }
  }
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': DetailType,
    source: Source,
    account: LOCAL_ACCOUNT_ID,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: Array.isArray(Resources) ? Resources.map(String) : [],
    detail,
    eventBusName: typeof EventBusName === 'string' ? EventBusName : 'default',
  };
}
