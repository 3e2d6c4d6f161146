import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { dynamodb, s3, sfn } from '../core/clients.ts';
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

/** DELETE /videos/{id} */
export const handler = apiHandler(
  { path: VideoIdPathSchema, allowedOrigins: config.ALLOWED_ORIGINS },
  async ({ path }) => {
    await deleteVideo(path.id, { repository, s3, bucket: config.MEDIA_BUCKET, stopExecution });
    return { statusCode: 204 };
  },
);
