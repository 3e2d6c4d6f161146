import {
  DeleteItemCommand,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { throughTheWire } from '../../json.ts';
import { parametersObject, type TaskIntegrations } from '../task-integration.ts';
import { toTaskError, withoutMetadata, type AwsService } from './aws-service-error.ts';

export const DYNAMODB: AwsService = {
  errorPrefix: 'DynamoDB',
  causeLabel: 'AmazonDynamoDBv2',
  exceptionClass: DynamoDBServiceException,
  // The Java SDK's DynamoDB exception classes (AmazonDynamoDBException is their base).
  javaExceptionNames: {
    renamed: { InternalServerError: 'InternalServerErrorException', RequestLimitExceeded: 'RequestLimitExceededException' },
    modeled: new Set([
      'ConditionalCheckFailedException',
      'ProvisionedThroughputExceededException',
      'ResourceNotFoundException',
      'ResourceInUseException',
      'ItemCollectionSizeLimitExceededException',
      'LimitExceededException',
      'TransactionConflictException',
      'TransactionCanceledException',
      'TransactionInProgressException',
      'IdempotentParameterMismatchException',
    ]),
    base: 'AmazonDynamoDBException',
  },
};

/** Input types differ per action; what reaches a command is whatever the ASL wrote, checked by DynamoDB. */
type ItemCommand = new (input: unknown) => UpdateItemCommand;

const COMMANDS = {
  getItem: GetItemCommand,
  putItem: PutItemCommand,
  updateItem: UpdateItemCommand,
  deleteItem: DeleteItemCommand,
} as unknown as Record<string, ItemCommand>;

/**
 * The optimized DynamoDB integrations (`arn:aws:states:::dynamodb:<action>`): the Parameters are the API
 * request as written in the ASL (low-level attribute values), the result is DynamoDB's response.
 */
export function dynamoDbIntegrations(client: DynamoDBClient): TaskIntegrations {
  return Object.fromEntries(
    Object.entries(COMMANDS).map(([action, Command]) => [
      `arn:aws:states:::dynamodb:${action}`,
      async (parameters, { task }) => {
        const input = parametersObject(parameters, task.name);
        try {
          const output = await client.send(new Command(input));
          return throughTheWire(withoutMetadata(output));
        } catch (error) {
          throw toTaskError(error, DYNAMODB);
        }
      },
    ]),
  );
}
