import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../local-resources.ts';

/** The Lambda context object a handler receives, for a function invoked in-process. */
export function createLambdaContext(options: { functionName: string; requestId: string; timeoutMs: number }): Context {
  const deadline = Date.now() + options.timeoutMs;
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is the deprecated callback API; return a value or a promise instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${options.functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: options.requestId,
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `local/[$LATEST]${options.requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
