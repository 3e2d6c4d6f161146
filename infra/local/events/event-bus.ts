import type { CloudLog } from '../cloud-log.ts';
import type { JsonValue } from '../json.ts';

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
  readonly #logger: CloudLog;

  constructor(logger: CloudLog) {
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
