import { taskError } from '../task-integration.ts';

interface ServiceExceptionLike extends Error {
  $metadata: { httpStatusCode?: number; requestId?: string };
}

export interface AwsService {
  /** Prefix of the Error names Step Functions gives this service's failures, e.g. `DynamoDB`. */
  errorPrefix: string;
  /** The service's name in a Cause, e.g. `AmazonDynamoDBv2`. */
  causeLabel: string;
  /** The SDK's base class of this service's exceptions, e.g. DynamoDBServiceException. */
  exceptionClass: abstract new (...args: never[]) => ServiceExceptionLike;
  /**
   * Step Functions names a failure after the exception class of the Java SDK it runs on, not after the
   * error code on the wire: each code that class name differs from, and the name of the service's base
   * class that codes without a class of their own (ThrottlingException, ValidationException…) arrive as.
   */
  javaExceptionNames?: { renamed: Readonly<Record<string, string>>; modeled: ReadonlySet<string>; base: string };
}

/** The name after `<Service>.` in the Error Step Functions reports for an SDK error named `name`. */
export function reportedExceptionName(name: string, service: AwsService): string {
  const java = service.javaExceptionNames;
  if (java === undefined) return name;
  return java.renamed[name] ?? (java.modeled.has(name) ? name : java.base);
}

/**
 * A failed AWS SDK call as Step Functions reports it: Error `<Service>.<ExceptionName>`, and a Cause that
 * carries the service's message plus the details Step Functions appends (so code reading a Cause locally
 * meets the text it will meet on AWS). Failures that are no answer of the service (network) are
 * `<Service>.SdkClientException`.
 */
export function toTaskError(error: unknown, service: AwsService): Error {
  if (error instanceof service.exceptionClass) {
    const status = error.$metadata.httpStatusCode ?? 0;
    const requestId = error.$metadata.requestId ?? 'unknown';
    return taskError(
      `${service.errorPrefix}.${reportedExceptionName(error.name, service)}`,
      `${error.message} (Service: ${service.causeLabel}; Status Code: ${status}; Error Code: ${error.name}; Request ID: ${requestId}; Proxy: null)`,
    );
  }
  return taskError(`${service.errorPrefix}.SdkClientException`, error instanceof Error ? error.message : String(error));
}

/** The response of an SDK call without the SDK's own bookkeeping: what the integration returns on AWS. */
export function withoutMetadata(output: object): Record<string, unknown> {
  const { $metadata: _metadata, ...rest } = output as Record<string, unknown>;
  return rest;
}
