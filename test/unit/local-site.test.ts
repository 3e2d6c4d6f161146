import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type LocalGateway } from '../../infra/local/apigateway/http-gateway.ts';
import { buildLocalSiteFiles, localSite } from '../../infra/local/site/local-site.ts';

describe('the web page on the local gateway', () => {
  let gateway: LocalGateway;
  let files: Map<string, Buffer>;

  beforeAll(async () => {
    files = await buildLocalSiteFiles();
    gateway = await startGateway({
      port: 0,
      routes: [],
      allowedOrigins: ['*'],
      logger: () => undefined,
      local: { info: () => ({}), listExecutions: () => [], getExecution: () => undefined },
      loadHandler: async () => {
        throw new Error('no API in this test');
      },
      site: localSite(files, 'http://127.0.0.1:9'),
    });
  });

  afterAll(async () => {
    await gateway.stop();
  });

  const assetOf = (extension: string) => [...files.keys()].find((name) => name.endsWith(extension))!;

  it('serves index.html at / as HTML that is revalidated on every load, with a CSP naming S3', async () => {
    const response = await fetch(`${gateway.url}/`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self' http://127.0.0.1:9");
    const html = await response.text();
    expect(html).toContain(`src="./${assetOf('.js')}"`);
    expect(html).toContain(`href="./${assetOf('.css')}"`);
  });

  it('serves the hashed bundle and stylesheet with their types, cacheable for a year', async () => {
    const script = await fetch(`${gateway.url}/${assetOf('.js')}`);
    const stylesheet = await fetch(`${gateway.url}/${assetOf('.css')}`);

    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(stylesheet.headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const response of [script, stylesheet]) expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('serves site-config.json of kind "local"', async () => {
    const response = await fetch(`${gateway.url}/site-config.json`);

    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ apiBase: '/api', trace: { kind: 'local', executionsUrl: '/_local/executions/' } });
  });

  it('answers HEAD with the headers and no body, and a matching If-None-Match with 304', async () => {
    const head = await fetch(`${gateway.url}/index.html`, { method: 'HEAD' });
    const again = await fetch(`${gateway.url}/`, { headers: { 'If-None-Match': head.headers.get('etag')! } });

    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(files.get('index.html')!.length);
    expect(await head.text()).toBe('');
    expect(again.status).toBe(304);
  });

  it('answers an unknown path with a plain 404, but under /api with the API error shape', async () => {
    const page = await fetch(`${gateway.url}/no-such-page`);
    const api = await fetch(`${gateway.url}/api/no-such-route`);

    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('refuses to write to the page with 405 and the methods it allows', async () => {
    const response = await fetch(`${gateway.url}/index.html`, { method: 'PUT', body: 'x' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});
