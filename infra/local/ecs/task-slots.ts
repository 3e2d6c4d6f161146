/**
 * How many ECS tasks the local cloud runs at once (LOCAL_MAX_TASKS): one machine has the cores of one
 * machine, and 30 uploads at once would otherwise start 30 ffmpeg processes on them. A task past the cap waits
 * its turn, first come first served. On AWS the same wait is RunTask refused for capacity and retried, so it
 * does not count against the Transcode state's heartbeat or timeout: the runner starts those clocks once the
 * task has its slot.
 *
 * Hand-written rather than p-limit or a semaphore package: a slot is held for a child process's lifetime, not
 * a promise's, and a task must be able to leave the line (its execution stopped while it waited).
 */
export interface TaskSlot {
  /** Resolves once the task may start (at once when a slot is free). */
  ready: Promise<void>;
  /** Whether it had to wait in line. */
  queued: boolean;
  /** Gives the slot back, or leaves the line; a second call does nothing. */
  release(): void;
}

export class TaskSlots {
  readonly capacity: number;
  #running = 0;
  readonly #line: (() => void)[] = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`LOCAL_MAX_TASKS must be a whole number of at least 1, not ${capacity}`);
    this.capacity = capacity;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#line.length;
  }

  take(): TaskSlot {
    let released = false;
    let started = false;
    let resolve!: () => void;
    const promise = new Promise<void>((settle) => (resolve = settle));
    const start = () => {
      started = true;
      this.#running += 1;
      resolve();
    };
    const queued = this.#running >= this.capacity;
    if (queued) this.#line.push(start);
    else start();
    return {
      ready: promise,
      queued,
      release: () => {
        if (released) return;
        released = true;
        if (!started) {
          this.#line.splice(this.#line.indexOf(start), 1);
          return;
        }
        this.#running -= 1;
        this.#line.shift()?.();
      },
    };
  }
}
