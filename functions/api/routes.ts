import type { z } from 'zod';
import {
  CompleteUploadRequestSchema,
  CreateUploadRequestSchema,
  CreateVideoResponseSchema,
  HealthResponseSchema,
  ListVideosQuerySchema,
  ListVideosResponseSchema,
  PlaybackQuerySchema,
  PlaybackResponseSchema,
  UpdateVideoRequestSchema,
  UploadPartsRequestSchema,
  UploadPartsResponseSchema,
  UploadStateResponseSchema,
  VideoSchema,
} from './contract.ts';

/**
 * Every route of the REST API, in one table: the local gateway serves exactly these, the CDK stack creates
 * exactly these resources, and the OpenAPI document describes exactly these. `path` is the API Gateway
 * resource path below the stage (`/api`); `handler` names the module functions/api/{handler}.ts whose
 * exported `handler` serves the route.
 */
export const API_BASE_PATH = '/api';

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  handler: string;
  summary: string;
  operationId: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Success responses by status code; every route may also answer with the error shape. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** Error codes this route answers with, besides validation_failed and internal_error. */
  errors?: readonly number[];
}

/** What serving a route takes: the local gateway and the CDK API need no more. */
export type RouteBinding = Pick<ApiRoute, 'method' | 'path' | 'handler'>;

export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'POST',
    path: '/videos',
    handler: 'create-upload',
    operationId: 'createVideo',
    summary: 'Create a video and the presigned URLs to upload it (and its subtitles) straight to S3',
    body: CreateUploadRequestSchema,
    responses: { 201: { description: 'Created (or the video an earlier request with the same client_token created)', schema: CreateVideoResponseSchema } },
    errors: [409, 413, 415],
  },
  {
    method: 'GET',
    path: '/videos',
    handler: 'list-videos',
    operationId: 'listVideos',
    summary: 'List videos by status, source_video_id or filename, newest first',
    query: ListVideosQuerySchema,
    responses: { 200: { description: 'A page of videos', schema: ListVideosResponseSchema } },
  },
  {
    method: 'GET',
    path: '/videos/{id}',
    handler: 'get-video',
    operationId: 'getVideo',
    summary: 'Get a video: its status, progress while processing, a playback URL once saved',
    responses: { 200: { description: 'The video', schema: VideoSchema } },
    errors: [404],
  },
  {
    method: 'PATCH',
    path: '/videos/{id}',
    handler: 'update-video',
    operationId: 'updateVideo',
    summary: 'Change the client-owned fields of a video (filename, source_video_id, title, tags)',
    body: UpdateVideoRequestSchema,
    responses: { 200: { description: 'The updated video', schema: VideoSchema } },
    errors: [404, 415],
  },
  {
    method: 'DELETE',
    path: '/videos/{id}',
    handler: 'delete-video',
    operationId: 'deleteVideo',
    summary: 'Delete a video: stops its processing, removes its files and its record (idempotent)',
    responses: { 204: { description: 'Deleted, or already gone' } },
  },
  {
    method: 'GET',
    path: '/videos/{id}/playback',
    handler: 'get-playback',
    operationId: 'getPlayback',
    summary: 'A short-lived playback URL for a saved video (redirect=1 answers 302 to it)',
    query: PlaybackQuerySchema,
    responses: {
      200: { description: 'The playback URL', schema: PlaybackResponseSchema },
      302: { description: 'Redirect to the playback URL (redirect=1)' },
    },
    errors: [404, 409],
  },
  {
    method: 'POST',
    path: '/videos/{id}/retry',
    handler: 'retry-video',
    operationId: 'retryVideo',
    summary: 'Process a failed video again, from the upload that was kept',
    responses: {
      202: { description: 'Accepted: the video waits for its new run (awaiting_upload, then processing)', schema: VideoSchema },
    },
    errors: [404, 409],
  },
  {
    method: 'GET',
    path: '/videos/{id}/upload',
    handler: 'get-upload',
    operationId: 'getUpload',
    summary: 'The parts of a multipart upload that S3 already has, to resume it',
    responses: { 200: { description: 'The upload and its parts', schema: UploadStateResponseSchema } },
    errors: [404, 409],
  },
  {
    method: 'POST',
    path: '/videos/{id}/upload/parts',
    handler: 'presign-upload-parts',
    operationId: 'presignUploadParts',
    summary: 'Presigned PUT URLs for parts of a multipart upload',
    body: UploadPartsRequestSchema,
    responses: { 200: { description: 'One URL per part', schema: UploadPartsResponseSchema } },
    errors: [404, 409, 415],
  },
  {
    method: 'POST',
    path: '/videos/{id}/upload/complete',
    handler: 'complete-upload',
    operationId: 'completeUpload',
    summary: 'Complete a multipart upload: the video is assembled and processing starts',
    body: CompleteUploadRequestSchema,
    responses: { 200: { description: 'The video, whose processing has started', schema: VideoSchema } },
    errors: [404, 409, 413, 415],
  },
  {
    method: 'DELETE',
    path: '/videos/{id}/upload',
    handler: 'abort-upload',
    operationId: 'abortUpload',
    summary: 'Abort a multipart upload: its parts are discarded and the video is marked failed',
    responses: { 204: { description: 'Aborted, or already aborted' } },
    errors: [404, 409],
  },
  {
    method: 'GET',
    path: '/health',
    handler: 'health',
    operationId: 'getHealth',
    summary: 'Whether the API and its dependencies (S3, DynamoDB) answer',
    responses: {
      200: { description: 'Everything answers', schema: HealthResponseSchema },
      503: { description: 'A dependency does not answer', schema: HealthResponseSchema },
    },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    handler: 'openapi',
    operationId: 'getOpenApi',
    summary: 'This API described as OpenAPI 3.1',
    responses: { 200: { description: 'The OpenAPI document' } },
  },
];
