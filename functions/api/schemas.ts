import { z } from 'zod';

/** Path parameters shared by every /videos/{id} route. Ids are UUIDs we minted; anything else cannot exist. */
export const VideoIdPathSchema = z.object({ id: z.uuid({ message: 'must be a video id (a UUID)' }) });
