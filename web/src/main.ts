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
  // API Gateway answers 403 to a missing or wrong key: the key goes, and the page asks for it again.
  const onKeyRefused = () => {
    if (sessionStorage.getItem(API_KEY_STORAGE) === null) return;
    sessionStorage.removeItem(API_KEY_STORAGE);
    askForApiKey({ refused: true }, useKey);
  };
  let client: VidpClient = createClient(config, onKeyRefused);
  const currentClient = () => client;
  const useKey = (key: string) => {
    sessionStorage.setItem(API_KEY_STORAGE, key);
    client = createClient(config, onKeyRefused);
    start();
  };

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
    askForApiKey({ refused: false }, useKey);
  } else {
    start();
  }
  document.body.dataset.ready = 'true';
}

function createClient(config: SiteConfig, onKeyRefused: () => void): VidpClient {
  const apiUrl = new URL(config.apiBase, location.href).href;
  const apiKey = sessionStorage.getItem(API_KEY_STORAGE) ?? undefined;
  const watchingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (config.apiKeyRequired && response.status === 403 && url.startsWith(apiUrl)) onKeyRefused();
    return response;
  };
  return createVidpClient({ apiUrl, fetch: watchingFetch, ...(apiKey === undefined ? {} : { apiKey }) });
}

/** Shows the key form (again, saying why, after a refusal); the submitted key goes to `onKey` once. */
function askForApiKey(options: { refused: boolean }, onKey: (key: string) => void): void {
  const section = byId('api-key-section');
  const form = byId<HTMLFormElement>('api-key-form');
  const input = byId<HTMLInputElement>('api-key');
  byId('api-key-refused').hidden = !options.refused;
  input.value = '';
  section.hidden = false;
  if (options.refused) input.focus();
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key === '') return;
    form.removeEventListener('submit', submit);
    section.hidden = true;
    onKey(key);
  };
  form.addEventListener('submit', submit);
}

main().catch((error: unknown) => showMessage(byId('page-error'), errorMessage(error)));
