import * as s3Api from '@aws-sdk/client-s3';
import { throughTheWire } from '../../json.ts';
import { parametersObject, taskError, type TaskIntegrations } from '../task-integration.ts';
import { toTaskError, withoutMetadata, type AwsService } from './aws-service-error.ts';

const S3: AwsService = { errorPrefix: 'S3', causeLabel: 'S3', exceptionClass: s3Api.S3ServiceException };

type AnyCommand = new (input: unknown) => s3Api.DeleteObjectCommand;

/**
 * The AWS SDK service integration for S3 (`arn:aws:states:::aws-sdk:s3:<action>`), every action: the action
 * names the SDK command (deleteObject → DeleteObjectCommand), the Parameters are its input.
 */
export function awsSdkS3Integrations(client: s3Api.S3Client): TaskIntegrations {
  return {
    'arn:aws:states:::aws-sdk:s3:*': async (parameters, { task }) => {
      const action = task.resource.slice(task.resource.lastIndexOf(':') + 1);
      const commandName = `${action.charAt(0).toUpperCase()}${action.slice(1)}Command`;
      const Command = (s3Api as unknown as Record<string, AnyCommand | undefined>)[commandName];
      if (typeof Command !== 'function') throw taskError('States.Runtime', `S3 has no action ${action} (${task.resource})`);
      try {
        const output = withoutMetadata(await client.send(new Command(parametersObject(parameters, task.name))));
        // GetObject's Body is a stream; the integration returns it as text.
        const body = output.Body as { transformToString?: () => Promise<string> } | undefined;
        if (body?.transformToString) output.Body = await body.transformToString();
        return throughTheWire(output);
      } catch (error) {
        throw toTaskError(error, S3);
      }
    },
  };
}
