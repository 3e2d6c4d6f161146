// The Lambda runtime of one local function, in a worker thread of its own: the function's bundle is
// loaded once (its cold start, with the function's own environment and credentials), then each message
// is one invocation. Plain JavaScript: a worker thread has no TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { bundle, functionName, invokedFunctionArn } = workerData;

function contextFor({ requestId, deadline }) {
  const unsupported = (name) => () => {
    throw new Error(`context.${name}() is the deprecated callback API; return a value or a promise instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

/** An error as Lambda reports it (errorType, errorMessage, trace), plus what our errors carry. */
function serialize(error) {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { code, details, statusCode } = error;
  return { name: error.name, message: error.message, stack: error.stack, code, details, statusCode };
}

let handler;
try {
  const module = await import(pathToFileURL(bundle).href);
  if (typeof module.handler !== 'function') throw new Error(`${functionName} does not export a handler function`);
  handler = module.handler;
  parentPort.postMessage({ type: 'ready' });
} catch (error) {
  parentPort.postMessage({ type: 'init-error', error: serialize(error) });
}

parentPort.on('message', async ({ id, event, context }) => {
  try {
    const result = await handler(event, contextFor(context));
    parentPort.postMessage({ type: 'result', id, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    parentPort.postMessage({ type: 'error', id, error: serialize(error) });
  }
});
