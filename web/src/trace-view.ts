import { h } from './dom.ts';
import { formatDuration } from './format.ts';
import type { TraceConfig } from './site-config.ts';
import { readableCause, stateRows, type LocalExecution } from './trace-rows.ts';

/**
 * The execution of a video's job: locally a table of its states from the local cloud; on AWS a link to the
 * execution in the Step Functions console (site-config.json says which). `finished` tells the caller whether
 * to look again.
 */
export async function renderTrace(config: TraceConfig, executionId: string, signal: AbortSignal): Promise<{ element: HTMLElement; finished: boolean }> {
  // The record keeps $$.Execution.Id, the execution's ARN; its name is the ARN's last part.
  const name = executionId.split(':').pop() ?? executionId;
  if (config.kind === 'console') {
    const executionArn = executionId.startsWith('arn:') ? executionId : `${config.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const url = `https://${config.region}.console.aws.amazon.com/states/home?region=${config.region}#/v2/executions/details/${executionArn}`;
    return { element: h('p', {}, h('a', { href: url, target: '_blank', rel: 'noopener' }, 'Open this execution in the Step Functions console')), finished: true };
  }
  const response = await fetch(`${config.executionsUrl}${encodeURIComponent(name)}`, { signal, cache: 'no-store' });
  if (response.status === 404) {
    return { element: h('p', { class: 'help' }, 'The local cloud has no trace of this execution (it keeps traces in memory: a restart forgets them).'), finished: true };
  }
  if (!response.ok) return { element: h('p', { class: 'error' }, `The trace could not be loaded (HTTP ${response.status}).`), finished: true };
  const execution = (await response.json()) as LocalExecution;
  return { element: traceTable(execution, name), finished: execution.status !== 'RUNNING' };
}

function traceTable(execution: LocalExecution, name: string): HTMLElement {
  const rows = stateRows(execution.trace);
  const status = execution.status.charAt(0) + execution.status.slice(1).toLowerCase().replace('_', ' ');
  const outcome = execution.error === undefined ? status : `${status} — ${execution.error}: ${readableCause(execution.cause) ?? ''}`;
  return h(
    'div',
    {},
    h('p', {}, `Execution ${name}: ${outcome}`),
    h(
      'div',
      { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': 'Execution trace table' },
      h(
        'table',
        // Explicit roles: the phone layout (display: block) would otherwise drop the table semantics in some browsers.
        { role: 'table' },
        h('caption', { class: 'visually-hidden' }, 'The states of the execution, in order'),
        h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, ...['State', 'Status', 'Duration', 'Retries', 'Error'].map((name) => h('th', { scope: 'col', role: 'columnheader' }, name)))),
        h(
          'tbody',
          { role: 'rowgroup' },
          ...rows.map((row) =>
            h(
              'tr',
              { 'data-state': row.state, role: 'row' },
              h('th', { scope: 'row', role: 'rowheader' }, row.iteration === undefined ? row.state : `${row.state} #${row.iteration}`),
              // data-label: on a phone each row is a card, its cells labelled by CSS (styles.css).
              h('td', { role: 'cell', 'data-label': 'Status' }, row.status === 'Caught' && row.next !== undefined ? `Caught → ${row.next}` : row.status),
              h('td', { role: 'cell', class: 'number', 'data-label': 'Duration' }, formatDuration(row.durationMs)),
              h('td', { role: 'cell', class: 'number', 'data-label': 'Retries' }, String(row.retries)),
              h('td', { role: 'cell', 'data-label': 'Error' }, row.error ?? ''),
            ),
          ),
        ),
      ),
    ),
  );
}
