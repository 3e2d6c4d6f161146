import { createVidpClient, type VidpClient } from '../client/index.ts';
import { byId, showMessage } from './dom.ts';
import { errorMessage } from './error-message.ts';
import { loadSiteConfig, type SiteConfig } from './site-config.ts';
import { setUpUploadForm } from './upload-form.ts';
import { setUpVideoList } from './video-list.ts';
import { createVideoView } from './video-view.ts';

/** Kept for this tab only (sessionStorage): an API key should not outlive the session on a shared machine. */
const API_KEY_STORAGE = 'vidp.api-key';

async function main(): Promise<void> {
  const config = await loadSiteConfig();
  let client: VidpClient = createClient(config);
  const currentClient = () => client;

  const view = createVideoView({ client: currentClient, trace: config.trace, onChanged: () => void list.refresh() });
  const list = setUpVideoList({ client: currentClient, onOpen: (id) => void view.open(id, { focus: true }) });
  setUpUploadForm({
    client: currentClient,
    onUploaded: (id) => {
      void view.open(id);
      void list.refresh();
    },
  });

  const start = () => {
    void list.refresh();
    const linked = /^#video=(.+)$/.exec(location.hash)?.[1];
    if (linked !== undefined) void view.open(decodeURIComponent(linked));
  };
  // A deployment with an API key: nothing is asked of the API before the key is given.
  if (config.apiKeyRequired && sessionStorage.getItem(API_KEY_STORAGE) === null) {
    askForApiKey((key) => {
      sessionStorage.setItem(API_KEY_STORAGE, key);
      client = createClient(config);
      start();
    });
  } else {
    start();
  }
  document.body.dataset.ready = 'true';
}

function createClient(config: SiteConfig): VidpClient {
  const apiKey = sessionStorage.getItem(API_KEY_STORAGE) ?? undefined;
  return createVidpClient({ apiUrl: new URL(config.apiBase, location.href).href, ...(apiKey === undefined ? {} : { apiKey }) });
}

function askForApiKey(onKey: (key: string) => void): void {
  const section = byId('api-key-section');
  const form = byId<HTMLFormElement>('api-key-form');
  section.hidden = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = byId<HTMLInputElement>('api-key').value.trim();
    if (key === '') return;
    onKey(key);
    section.hidden = true;
  });
}

main().catch((error: unknown) => showMessage(byId('page-error'), errorMessage(error)));
