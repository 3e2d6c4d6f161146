/** `./site-config.json`, written by whoever serves the page (the local cloud, or the CDK site deployment). */
export type TraceConfig =
  | { kind: 'local'; executionsUrl: string }
  | { kind: 'console'; region: string; stateMachineArn: string };

export interface SiteConfig {
  apiBase: string;
  trace: TraceConfig;
  apiKeyRequired?: boolean;
}

export async function loadSiteConfig(): Promise<SiteConfig> {
  const response = await fetch('./site-config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`The page's configuration (site-config.json) could not be loaded: HTTP ${response.status}`);
  return parseSiteConfig(await response.json());
}

export function parseSiteConfig(value: unknown): SiteConfig {
  const config = value as Partial<SiteConfig> | null;
  const trace = config?.trace as Partial<TraceConfig> | undefined;
  if (typeof config?.apiBase !== 'string' || trace === undefined) throw new Error('site-config.json has no apiBase or trace');
  if (trace.kind === 'local' && typeof trace.executionsUrl === 'string') return { ...config, trace } as SiteConfig;
  if (trace.kind === 'console' && typeof trace.region === 'string' && typeof trace.stateMachineArn === 'string') {
    return { ...config, trace } as SiteConfig;
  }
  throw new Error('site-config.json has a trace of no known kind');
}
