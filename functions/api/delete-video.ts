import { InvalidParameterException, StopTaskCommand } from '@aws-sdk/client-ecs';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { dynamodb, ecs, s3, sfn } from '../core/clients.ts';
import { loadConfig } from '../core/config.ts';
import { deleteVideo } from '../core/delete-video.ts';
import { createVideoRepository } from '../core/video-repository.ts';
import { VideoIdPathSchema } from './contract.ts';
import { apiHandler } from './http.ts';

const config = loadConfig();
const repository = createVideoRepository(dynamodb, config.VIDEOS_TABLE);

async function stopExecution(executionArn: string): Promise<void> {
  try {
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'VideoDeleted', cause: 'The video was deleted through the API' }));
  } catch (error) {
    // Already finished or never existed: there is nothing left to stop.
    if ((error as { name?: string }).name !== 'ExecutionDoesNotExist') throw error;
  }
}

async function stopTask(taskArn: string): Promise<void> {
  // The task ARN names its cluster: arn:aws:ecs:region:account:task/{cluster}/{id}.
  const cluster = taskArn.split('/').at(-2);
  try {
    await ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason: 'The video was deleted through the API' }));
  } catch (error) {
    // Stopped already (ECS forgets a task soon after it stops): nothing left to stop.
    if (!(error instanceof InvalidParameterException)) throw error;
  }
}

/** DELETE /videos/{id} */
export const handler = apiHandler(
  { path: VideoIdPathSchema, allowedOrigins: config.ALLOWED_ORIGINS },
  async ({ path }) => {
    await deleteVideo(path.id, { repository, s3, bucket: config.MEDIA_BUCKET, stopExecution, stopTask });
    return { statusCode: 204 };
  },
);
