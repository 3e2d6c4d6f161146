import { randomUUID } from 'node:crypto';
import type { CloudLog } from '../cloud-log.ts';
import type { JsonValue } from '../json.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../local-resources.ts';

/** A rule of the local EventBridge scheduler: call `run` every `everyMs`, like `rate(…)` on AWS. */
export interface LocalSchedule {
  name: string;
  everyMs: number;
  run: (event: ScheduledEvent) => Promise<unknown>;
}

/** What an EventBridge schedule sends its target. */
export interface ScheduledEvent {
  version: '0';
  id: string;
  'detail-type': 'Scheduled Event';
  source: 'aws.events';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, JsonValue>;
}

export interface LocalScheduler {
  /** Runs a schedule now (what `npm run cleanup` and tests use); resolves with what its target returned. */
  runNow(name: string): Promise<unknown>;
  /** Stops the timers and waits for runs in flight. */
  stop(): Promise<void>;
}

export function scheduledEvent(ruleName: string, now = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/${ruleName}`],
    detail: {},
  };
}

/**
 * Runs each schedule on its interval. A run never overlaps the previous one of the same schedule (a slow
 * cleanup is not started twice); a failed run is logged and the schedule goes on. Timers do not keep the
 * process alive.
 */
export function startScheduler(schedules: readonly LocalSchedule[], logger: CloudLog): LocalScheduler {
  const inFlight = new Map<string, Promise<unknown>>();
  const byName = new Map(schedules.map((schedule) => [schedule.name, schedule]));

  function fire(schedule: LocalSchedule): Promise<unknown> {
    const running = inFlight.get(schedule.name);
    if (running !== undefined) return running;
    const startedAt = Date.now();
    const run = schedule
      .run(scheduledEvent(schedule.name))
      .then(
        (result) => {
          logger(`[schedule] ${schedule.name} ran in ${Date.now() - startedAt} ms: ${JSON.stringify(result) ?? ''}`);
          return result;
        },
        (error: unknown) => {
          logger(`[schedule] ${schedule.name} failed: ${error instanceof Error ? error.message : String(error)}`);
          throw error;
        },
      )
      .finally(() => inFlight.delete(schedule.name));
    inFlight.set(schedule.name, run);
    return run;
  }

  const timers = schedules
    .filter((schedule) => schedule.everyMs > 0)
    .map((schedule) => {
      const timer = setInterval(() => void fire(schedule).catch(() => undefined), schedule.everyMs);
      timer.unref();
      return timer;
    });

  return {
    runNow(name) {
      const schedule = byName.get(name);
      if (schedule === undefined) return Promise.reject(new Error(`No schedule named ${name}`));
      return fire(schedule);
    },
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
