import type { Video, VidpClient } from '../client/index.ts';
import { byId, h, showMessage } from './dom.ts';
import { errorMessage } from './error-message.ts';
import { formatDate } from './format.ts';
import { statusBadge } from './video-view.ts';

const PAGE_SIZE = 10;

/** The videos of one status, newest first (the API's order), a page at a time with the API's cursor. */
export function setUpVideoList(options: { client: () => VidpClient; onOpen(id: string): void }) {
  const form = byId<HTMLFormElement>('list-form');
  const status = byId<HTMLSelectElement>('list-status');
  const list = byId<HTMLUListElement>('video-list');
  const more = byId<HTMLButtonElement>('list-more');
  const error = byId('list-error');
  let cursor: string | undefined;
  let loading: AbortController | undefined;

  async function load(append: boolean): Promise<void> {
    loading?.abort();
    const controller = new AbortController();
    loading = controller;
    more.disabled = true;
    try {
      const page = await options
        .client()
        .listVideos({ status: status.value as Video['status'] }, { limit: PAGE_SIZE, ...(append && cursor !== undefined ? { cursor } : {}) }, controller.signal);
      if (controller.signal.aborted) return;
      showMessage(error, undefined);
      const items = page.videos.map(itemOf);
      if (append) list.append(...items);
      else list.replaceChildren(...(items.length > 0 ? items : [h('li', {}, `No ${status.selectedOptions[0]?.textContent?.toLowerCase() ?? ''} videos.`)]));
      cursor = page.next_cursor;
      more.hidden = cursor === undefined;
    } catch (caught) {
      if (!controller.signal.aborted) showMessage(error, errorMessage(caught));
    } finally {
      more.disabled = false;
    }
  }

  function itemOf(video: Video): HTMLLIElement {
    const open = h('button', { type: 'button', class: 'secondary', 'aria-label': `Open ${video.filename}` }, 'Open');
    open.addEventListener('click', () => options.onOpen(video.id));
    return h(
      'li',
      { 'data-video-id': video.id },
      h('span', { class: 'name' }, video.filename),
      statusBadge(video.status),
      h('time', { datetime: video.created_at }, formatDate(video.created_at)),
      open,
    );
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load(false);
  });
  status.addEventListener('change', () => void load(false));
  more.addEventListener('click', () => void load(true));

  return { refresh: () => load(false) };
}
