import type { ClientOwnedFields, VideoRepository } from './video-repository.ts';
import { toPublicVideo } from './video.ts';

/** PATCH: only the fields a client owns; the request schema has refused everything else already. */
export async function updateVideo(id: string, changes: ClientOwnedFields, deps: { repository: VideoRepository }) {
  return toPublicVideo(await deps.repository.updateClientFields(id, changes));
}
