import { randomUUID } from 'node:crypto';
import { throughTheWire } from '../../json.ts';
import { createLambdaContext } from '../../lambda/context.ts';
import type { Handler } from '../../lambda/handler.ts';
import { parametersObject, taskError, type TaskIntegrations } from '../task-integration.ts';

/** Locally every workflow function gets Step Functions' default Task timeout of aws-local-stepfunctions. */
const FUNCTION_TIMEOUT_MS = 60_000;

/**
 * The optimized Lambda integration (`arn:aws:states:::lambda:invoke`): FunctionName picks a handler module of
 * the repository, called in-process with the Payload. Returns `{ Payload, StatusCode }` like Lambda's Invoke.
 * A handler that throws fails the Task as a Lambda function error does: Error = the error's type (its `name`),
 * Cause = `{"errorType","errorMessage"}` as JSON.
 */
export function lambdaInvokeIntegration(options: {
  /** Module path (from the repository root) by function ARN. */
  functions: Readonly<Record<string, string>>;
  loadHandler: (modulePath: string) => Promise<Handler>;
}): TaskIntegrations {
  const modulesByName = new Map<string, string>();
  for (const [arn, modulePath] of Object.entries(options.functions)) {
    modulesByName.set(arn, modulePath);
    modulesByName.set(arn.slice(arn.lastIndexOf(':') + 1), modulePath);
  }

  return {
    'arn:aws:states:::lambda:invoke': async (parameters, { task }) => {
      const { FunctionName, Payload } = parametersObject(parameters, task.name);
      const modulePath = typeof FunctionName === 'string' ? modulesByName.get(FunctionName) : undefined;
      if (modulePath === undefined) {
        throw taskError('Lambda.ResourceNotFoundException', `Function not found: ${String(FunctionName)}`);
      }
      const functionName = String(FunctionName).slice(String(FunctionName).lastIndexOf(':') + 1);
      const context = createLambdaContext({ functionName, requestId: randomUUID(), timeoutMs: FUNCTION_TIMEOUT_MS });
      try {
        const handler = await options.loadHandler(modulePath);
        const result = await handler(throughTheWire(Payload ?? {}), context);
        return { Payload: throughTheWire(result), StatusCode: 200, ExecutedVersion: '$LATEST' };
      } catch (error) {
        throw functionError(error);
      }
    },
  };
}

function functionError(error: unknown): Error {
  const errorType = error instanceof Error ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  return taskError(errorType, JSON.stringify({ errorType, errorMessage }));
}
