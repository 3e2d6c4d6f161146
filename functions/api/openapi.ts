import { loadConfig } from '../core/config.ts';
import { apiHandler } from './http.ts';
import { buildOpenApiDocument } from './openapi-document.ts';

const config = loadConfig();
// Built once per cold start: it depends only on the code and the version.
const document = buildOpenApiDocument(config.VIDP_VERSION);

/** GET /openapi.json */
export const handler = apiHandler({ allowedOrigins: config.ALLOWED_ORIGINS }, async () => ({
  statusCode: 200,
  body: document,
  headers: { 'Cache-Control': 'public, max-age=300' },
}));
