import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../infra/local/cloud.ts';

const PAGE = 'https://app.example';

/**
 * With ALLOWED_ORIGINS set, the local API and the local media bucket allow the same origins, as the CDK app sets
 * both from `allowedOrigins`: a page elsewhere is refused by S3 too, not only by the API.
 */
describe('the local cloud with ALLOWED_ORIGINS', () => {
  let cloud: LocalCloud;
  const before = process.env.ALLOWED_ORIGINS;

  beforeAll(async () => {
    process.env.ALLOWED_ORIGINS = PAGE;
    cloud = await startLocalCloud({ port: 0, logger: () => {}, cleanupIntervalMs: 0 });
  });

  afterAll(async () => {
    await cloud?.stop();
    if (before === undefined) delete process.env.ALLOWED_ORIGINS;
    else process.env.ALLOWED_ORIGINS = before;
  });

  const preflight = (origin: string, method: string) =>
    fetch(`${cloud.s3Endpoint}/${cloud.bucket}/uploads/x/source.mp4`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'content-type' },
    });

  it('lets the allowed origin upload parts to the media bucket, and exposes the ETag to it', async () => {
    const response = await preflight(PAGE, 'PUT');
    // Unsigned, so refused: S3's answers carry the CORS headers all the same (the page reads its error).
    const answer = await fetch(`${cloud.s3Endpoint}/${cloud.bucket}/uploads/x/source.mp4?partNumber=1&uploadId=x`, {
      method: 'PUT',
      headers: { Origin: PAGE },
      body: 'part',
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(answer.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(answer.headers.get('access-control-expose-headers')).toBe('ETag');
  });

  it('refuses a preflight from any other origin, as the deployed bucket would', async () => {
    const response = await preflight('https://elsewhere.example', 'POST');

    expect(response.status).toBe(403);
  });
});
