import {
  fingerprintFile,
  SOURCE_EXTENSIONS,
  sourceContentTypeOf,
  VidpAbortedError,
  type CreatedVideo,
  type CreateVideoRequest,
  type VidpClient,
} from '../client/index.ts';
import { byId, h, showMessage } from './dom.ts';
import { errorMessage } from './error-message.ts';
import { formatBytes, formatDate } from './format.ts';
import { pendingUploads, type PendingUpload } from './resume-store.ts';
import { createProgressPanel } from './upload-progress.ts';
import { xhrFormTransport, xhrPartTransport } from './xhr-part-transport.ts';

/** Parts on their way at once: the contract's 4–6; 4 fills a home uplink without starving the page's own requests. */
const PARTS_IN_FLIGHT = 4;

interface UploadFormOptions {
  client: () => VidpClient;
  /** A video whose source reached S3: the page follows its job from here. */
  onUploaded(videoId: string): void;
}

/**
 * The "New video" form: validates what was chosen, creates the video, uploads the subtitles then the video
 * straight to S3 (web/client), shows the progress, and cancels or resumes a multipart upload.
 */
export function setUpUploadForm(options: UploadFormOptions): void {
  const form = byId<HTMLFormElement>('upload-form');
  const videoInput = byId<HTMLInputElement>('video-file');
  const subtitlesInput = byId<HTMLInputElement>('subtitles-file');
  const urlInput = byId<HTMLInputElement>('subtitles-url');
  const crfInput = byId<HTMLInputElement>('crf');
  const resolutionInput = byId<HTMLSelectElement>('resolution');
  const submit = byId<HTMLButtonElement>('upload-button');
  const formError = byId('form-error');
  const notice = byId('resume-notice');
  const progress = createProgressPanel();
  // The API's own list of accepted extensions, so the file picker cannot drift from what create-upload takes.
  videoInput.accept = ['video/*', ...SOURCE_EXTENSIONS.map((extension) => `.${extension}`)].join(',');
  let controller: AbortController | undefined;
  /** The upload the selected file would resume, if any. */
  let resumable: PendingUpload | undefined;

  const subtitlesFromUrl = () => byId<HTMLInputElement>('subtitles-from-url').checked;
  const showSubtitlesSource = () => {
    byId('subtitles-file-field').hidden = subtitlesFromUrl();
    byId('subtitles-url-field').hidden = !subtitlesFromUrl();
  };
  for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="subtitles-source"]')) radio.addEventListener('change', showSubtitlesSource);

  const renderNotice = () => {
    const pending = pendingUploads.list();
    notice.replaceChildren();
    notice.hidden = pending.length === 0;
    for (const entry of pending) {
      const isSelected = resumable?.videoId === entry.videoId;
      notice.append(
        h(
          'p',
          {},
          isSelected
            ? `The upload of ${entry.filename} (${formatBytes(entry.size)}) will resume where it stopped: the parts already uploaded are not sent again.`
            : `The upload of ${entry.filename} (${formatBytes(entry.size)}, started ${formatDate(entry.startedAt)}) is unfinished. ` +
                'Choose the same file again to resume it.',
          ' ',
          h('button', { type: 'button', class: 'link', 'data-discard': entry.videoId }, `Discard the upload of ${entry.filename}`),
        ),
      );
    }
  };
  notice.addEventListener('click', (event) => {
    const videoId = (event.target as HTMLElement).closest<HTMLElement>('[data-discard]')?.dataset.discard;
    if (videoId === undefined) return;
    pendingUploads.forget(videoId);
    if (resumable?.videoId === videoId) resumable = undefined;
    renderNotice();
    submit.textContent = 'Upload';
    // The parts S3 holds are discarded too (the video ends as failed: upload_aborted).
    options.client().abortUpload(videoId).catch(() => undefined);
  });
  renderNotice();

  /** Whether the chosen file is one an unfinished upload was sending (its fingerprint is stored). */
  async function findResumable(): Promise<void> {
    const file = videoInput.files?.[0];
    const fingerprint = file === undefined || pendingUploads.list().length === 0 ? undefined : await fingerprintOf(file);
    resumable = fingerprint === undefined ? undefined : pendingUploads.find(fingerprint);
    submit.textContent = resumable === undefined ? 'Upload' : 'Resume upload';
    renderNotice();
  }
  videoInput.addEventListener('change', () => void findResumable());

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (controller !== undefined) return;
    // Again at submit: after a lost connection the same file, still chosen, resumes rather than starting over.
    await findResumable();
    const problem = validate();
    if (problem !== undefined) {
      showMessage(formError, problem.message);
      problem.field.setAttribute('aria-invalid', 'true');
      problem.field.focus();
      return;
    }
    for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
    showMessage(formError, undefined);
    void upload(videoInput.files![0]!);
  });

  progress.cancelButton.addEventListener('click', () => controller?.abort());

  function validate(): { field: HTMLElement; message: string } | undefined {
    if (videoInput.files?.[0] === undefined) return { field: videoInput, message: 'Choose a video file.' };
    if (resumable !== undefined) return undefined; // its subtitles and settings were sent when it started
    if (!subtitlesFromUrl() && subtitlesInput.files?.[0] === undefined) {
      return { field: subtitlesInput, message: 'Choose a subtitles file (SRT or VTT), or give a subtitles URL.' };
    }
    if (subtitlesFromUrl() && !/^https?:\/\/\S+$/i.test(urlInput.value.trim())) {
      return { field: urlInput, message: 'Give the subtitles URL as an http(s) address.' };
    }
    const crf = Number(crfInput.value);
    if (!Number.isInteger(crf) || crf < 12 || crf > 51) return { field: crfInput, message: 'Quality (CRF) is a whole number from 12 to 51.' };
    return undefined;
  }

  async function upload(file: File): Promise<void> {
    controller = new AbortController();
    const { signal } = controller;
    const client = options.client();
    submit.disabled = true;
    let created: Pick<CreatedVideo, 'video' | 'upload'> | undefined;
    try {
      const fingerprint = await fingerprintOf(file);
      created = resumable === undefined ? undefined : await resumeOf(client, resumable, signal);
      if (resumable !== undefined && created === undefined) {
        // The stored upload has ended meanwhile (completed, aborted, expired): this is a new video after all.
        resumable = undefined;
        const problem = validate();
        if (problem !== undefined) return showMessage(formError, `The earlier upload of this file has ended. ${problem.message}`);
      }
      progress.start(file.name, created === undefined ? 'Creating the video…' : 'Asking S3 which parts it already has…');
      if (created === undefined) created = await start(client, file, fingerprint, signal);
      await client.uploadFile(created, file, {
        signal,
        partsInFlight: PARTS_IN_FLIGHT,
        partTransport: xhrPartTransport,
        formTransport: xhrFormTransport,
        onProgress: (state) => progress.update(state),
      });
      pendingUploads.forget(created.video.id);
      progress.finish(`Uploaded ${file.name}. Processing starts now.`);
      options.onUploaded(created.video.id);
      form.reset();
      showSubtitlesSource();
    } catch (error) {
      if (error instanceof VidpAbortedError && created !== undefined) {
        await discard(client, created);
        progress.finish('Upload cancelled.');
      } else if (error instanceof VidpAbortedError) {
        progress.finish('Upload cancelled.');
      } else {
        const resumeHint = created?.upload.method === 'MULTIPART' ? ' Choose Upload again with the same file to resume.' : '';
        progress.finish('Upload stopped.');
        showMessage(formError, `${errorMessage(error)}${resumeHint}`);
      }
    } finally {
      resumable = undefined;
      submit.disabled = false;
      submit.textContent = 'Upload';
      controller = undefined;
      renderNotice();
    }
  }

  /** A new video: created, its subtitles uploaded, and (multipart) kept for a resume before the first part. */
  async function start(client: VidpClient, file: File, fingerprint: string | undefined, signal: AbortSignal): Promise<CreatedVideo> {
    const subtitlesFile = subtitlesFromUrl() ? undefined : subtitlesInput.files?.[0];
    const created = await client.createVideo(
      {
        filename: file.name,
        content_type: file.type.startsWith('video/') ? file.type : (sourceContentTypeOf(file.name) ?? 'application/octet-stream'),
        size: file.size,
        resolution: resolutionInput.value as CreateVideoRequest['resolution'],
        crf: Number(crfInput.value),
        subtitles: subtitlesFile === undefined ? { source: 'url', url: urlInput.value.trim() } : { source: 'upload' },
      },
      signal,
    );
    if (subtitlesFile !== undefined) await client.uploadSubtitles(created, subtitlesFile, { filename: subtitlesFile.name, signal });
    if (created.upload.method === 'MULTIPART' && fingerprint !== undefined) {
      pendingUploads.save({
        fingerprint,
        videoId: created.video.id,
        uploadId: created.upload.upload_id,
        partSize: created.upload.part_size,
        partCount: created.upload.part_count,
        expiresAt: created.upload.expires_at,
        filename: file.name,
        size: file.size,
        startedAt: new Date().toISOString(),
      });
    }
    return created;
  }
}

/**
 * The resume key of a file, or undefined where it cannot be computed: crypto.subtle exists only in a secure
 * context (https, or 127.0.0.1 / localhost), so a page opened at a LAN address uploads without resume.
 */
function fingerprintOf(file: File): Promise<string | undefined> {
  return fingerprintFile(file, file).catch(() => undefined);
}

/** The stored upload, if its video still waits for it (it may have completed, been aborted, or expired). */
async function resumeOf(client: VidpClient, pending: PendingUpload, signal: AbortSignal): Promise<Pick<CreatedVideo, 'video' | 'upload'> | undefined> {
  const video = await client.getVideo(pending.videoId, signal).catch(() => undefined);
  if (video?.status !== 'awaiting_upload') {
    pendingUploads.forget(pending.videoId);
    return undefined;
  }
  return {
    video,
    upload: { method: 'MULTIPART', upload_id: pending.uploadId, part_size: pending.partSize, part_count: pending.partCount, expires_at: pending.expiresAt },
  };
}

/** Cancel: a multipart upload is aborted (S3 drops its parts; the video ends as upload_aborted), a form upload's video deleted. */
async function discard(client: VidpClient, created: Pick<CreatedVideo, 'video' | 'upload'>): Promise<void> {
  pendingUploads.forget(created.video.id);
  const request = created.upload.method === 'MULTIPART' ? client.abortUpload(created.video.id) : client.deleteVideo(created.video.id);
  await request.catch(() => undefined);
}
