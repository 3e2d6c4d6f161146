/**
 * An execution's transitions folded into the rows the page's trace table shows (no DOM here: unit-tested in Node).
 */
/** One transition, as the local cloud's GET /_local/executions/{name} lists them (infra/local/stepfunctions). */
export interface TraceEntry {
  type: 'StateEntered' | 'StateExited' | 'StateFailed' | 'StateRetried' | 'StateCaught';
  state: string;
  stateType: string;
  timestamp: string;
  error?: string;
  cause?: string;
  next?: string;
  /** Inside a Map iteration (a long video's segments): which one. Iterations of one state overlap in time. */
  index?: number;
}

export interface LocalExecution {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  error?: string;
  cause?: string;
  trace: TraceEntry[];
}

/** One visit of a state, as the Step Functions console's table shows it. */
export interface StateRow {
  state: string;
  /** The Map iteration it ran in, when it did. */
  iteration?: number;
  stateType: string;
  status: 'Running' | 'Succeeded' | 'Failed' | 'Caught';
  durationMs?: number;
  retries: number;
  error?: string;
  next?: string;
}

/**
 * Folds the transitions into one row per state visit: retries counted, a caught failure kept with its error.
 * A visit is a state in one Map iteration: a long video's EncodeSegment runs once per segment, all at once.
 */
export function stateRows(trace: readonly TraceEntry[]): StateRow[] {
  const rows: StateRow[] = [];
  const open = new Map<string, { row: StateRow; enteredAt: number }>();
  for (const entry of trace) {
    const at = Date.parse(entry.timestamp);
    const key = entry.index === undefined ? entry.state : `${entry.state}[${entry.index}]`;
    if (entry.type === 'StateEntered') {
      const row: StateRow = { state: entry.state, ...(entry.index === undefined ? {} : { iteration: entry.index }), stateType: entry.stateType, status: 'Running', retries: 0 };
      rows.push(row);
      open.set(key, { row, enteredAt: at });
      continue;
    }
    const visit = open.get(key);
    if (visit === undefined) continue;
    const { row } = visit;
    if (entry.type === 'StateRetried') {
      row.retries += 1;
      row.status = 'Running';
    } else if (entry.type === 'StateFailed') {
      row.status = 'Failed';
      row.error = [entry.error, readableCause(entry.cause)].filter(Boolean).join(': ');
      row.durationMs = at - visit.enteredAt;
    } else if (entry.type === 'StateCaught') {
      row.status = 'Caught';
      if (entry.next !== undefined) row.next = entry.next;
    } else if (row.status !== 'Caught') {
      row.status = 'Succeeded';
      row.durationMs = at - visit.enteredAt;
    }
  }
  return rows;
}

/** A task's cause is often the JSON of its error ({"errorMessage"} from Lambda, {"code","message"} from the worker): its message. */
export function readableCause(cause: string | undefined): string | undefined {
  if (cause === undefined) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown; message?: unknown };
    const message = parsed.errorMessage ?? parsed.message;
    return typeof message === 'string' ? message : cause;
  } catch {
    return cause;
  }
}

