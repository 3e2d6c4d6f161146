import { loadSiteConfig } from './site-config.ts';

const status = document.getElementById('boot-status');
try {
  const config = await loadSiteConfig();
  if (status) status.textContent = `API at ${config.apiBase}`;
} catch (error) {
  if (status) status.textContent = (error as Error).message;
}
