/**
 * Every route of the REST API, in one table: the local gateway serves exactly these, and the CDK stack
 * creates exactly these resources. `path` is the API Gateway resource path below the stage (`/api`).
 * `handler` names the module functions/api/{handler}.ts whose exported `handler` serves the route.
 */
export const API_BASE_PATH = '/api';

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  handler: string;
  summary: string;
}

export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'POST', path: '/videos', handler: 'create-upload', summary: 'Create a video and presigned upload URLs' },
  { method: 'GET', path: '/videos/{id}', handler: 'get-video', summary: 'Get a video, with a playback URL once saved' },
];
