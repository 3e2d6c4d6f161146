import {
  ConditionalCheckFailedException,
  DynamoDBServiceException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
} from '@aws-sdk/client-dynamodb';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DYNAMODB } from '../../infra/local/stepfunctions/integrations/dynamodb.ts';
import { toTaskError } from '../../infra/local/stepfunctions/integrations/aws-service-error.ts';

const asl = JSON.parse(readFileSync(new URL('../../statemachine/pipeline.asl.json', import.meta.url), 'utf8')) as {
  States: Record<string, { Retry?: { ErrorEquals: string[] }[] }>;
};
const retriedByClaimJob = new Set(asl.States.ClaimJob!.Retry!.flatMap((retrier) => retrier.ErrorEquals));
const $metadata = { httpStatusCode: 500, requestId: 'r-1' };

describe('a failed DynamoDB task, named as Step Functions names it', () => {
  it.each([
    ['InternalServerError', new InternalServerError({ message: 'Internal server error', $metadata }), 'DynamoDB.InternalServerErrorException'],
    ['RequestLimitExceeded', new RequestLimitExceeded({ message: 'Throughput exceeds the account limit', $metadata }), 'DynamoDB.RequestLimitExceededException'],
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata }),
      'DynamoDB.ProvisionedThroughputExceededException',
    ],
    [
      'ThrottlingException (no Java class of its own)',
      new DynamoDBServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate of requests exceeds the allowed throughput', $metadata }),
      'DynamoDB.AmazonDynamoDBException',
    ],
  ])('reports %s as %s, which the ASL retries', (_name, error, reported) => {
    const taskError = toTaskError(error, DYNAMODB);
    expect(taskError.name).toBe(reported);
    expect(retriedByClaimJob.has(taskError.name)).toBe(true);
  });

  it('keeps the wire code in the Cause, as Step Functions does', () => {
    const taskError = toTaskError(new InternalServerError({ message: 'Internal server error', $metadata }), DYNAMODB);
    expect(taskError.message).toMatch(/Error Code: InternalServerError; Request ID: r-1/);
  });

  it('reports a failed condition under its own name, which the claim catches', () => {
    expect(toTaskError(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata }), DYNAMODB).name).toBe(
      'DynamoDB.ConditionalCheckFailedException',
    );
  });
});
