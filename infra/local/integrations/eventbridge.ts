import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../json.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../local-resources.ts';
import type { Logger } from '../logger.ts';
import { parametersObject, taskError, type TaskIntegrations } from '../task-integrations.ts';

/** An event as EventBridge delivers it to a rule's target (the envelope PutEvents builds around an entry). */
export interface PublishedEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: JsonValue;
  /** Local only: the bus it was put on. */
  eventBusName: string;
}

/**
 * The local event bus: what the workflow publishes (VideoSaved, VideoFailed) is logged and kept, newest
 * last, for people (`GET /_local/events`) and tests to read, as a rule with a log-group target would.
 */
export class LocalEventBus {
  readonly #events: PublishedEvent[] = [];
  readonly #waiters = new Set<{ predicate: (event: PublishedEvent) => boolean; resolve: (event: PublishedEvent) => void }>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  put(event: PublishedEvent): void {
    this.#events.push(event);
    this.#logger(`[events] ${event['detail-type']} on ${event.eventBusName}: ${JSON.stringify(event.detail)}`);
    for (const waiter of [...this.#waiters]) {
      if (waiter.predicate(event)) {
        this.#waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  }

  list(): PublishedEvent[] {
    return [...this.#events];
  }

  /** The first event (already published or still to come) that matches. */
  waitFor(predicate: (event: PublishedEvent) => boolean, timeoutMs = 30_000): Promise<PublishedEvent> {
    const published = this.#events.find(predicate);
    if (published !== undefined) return Promise.resolve(published);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (event: PublishedEvent) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`No matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }
}

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
    'arn:aws:states:::events:putEvents': async (parameters, { stateName }) => {
      const { Entries } = parametersObject(parameters, stateName);
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
