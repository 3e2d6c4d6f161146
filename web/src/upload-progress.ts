import { createTransferRate, type UploadProgress } from '../client/index.ts';
import { byId } from './dom.ts';
import { formatBytes, formatRate, formatSeconds } from './format.ts';

/**
 * The progress panel: a <progress> bar of the bytes S3 has confirmed, the figures (bytes, speed, time left),
 * and a polite live region that announces every 10 % instead of every update (a screen reader would otherwise
 * read figures without pause).
 */
export function createProgressPanel() {
  const panel = byId('upload-progress');
  const bar = byId<HTMLProgressElement>('upload-bar');
  const figures = byId('upload-figures');
  const announcer = byId('upload-announcer');
  const filename = byId('upload-filename');
  const cancel = byId<HTMLButtonElement>('cancel-button');
  let rate = createTransferRate();
  let announcedStep = -1;

  const announce = (text: string) => {
    announcer.textContent = text;
  };

  return {
    cancelButton: cancel,
    start(name: string, note: string) {
      rate = createTransferRate();
      announcedStep = -1;
      filename.textContent = name;
      bar.value = 0;
      bar.removeAttribute('aria-valuetext');
      figures.textContent = note;
      cancel.hidden = false;
      panel.hidden = false;
      announce(`Upload of ${name} started. ${note}`);
    },
    update(progress: UploadProgress) {
      // sentBytes: what S3 has confirmed plus what the parts on their way have sent (xhr-part-transport.ts).
      const { sentBytes, confirmedBytes, totalBytes, inFlightBytes, resumedBytes } = progress;
      // The rate counts what this page sent, not the parts S3 had before a resume.
      rate.sample(sentBytes - resumedBytes);
      // 100 % only once S3 has confirmed every byte: sent is not stored.
      const percent = confirmedBytes >= totalBytes ? 100 : Math.min(99, Math.floor((sentBytes / totalBytes) * 100));
      bar.value = percent;
      bar.setAttribute('aria-valuetext', `${percent} %`);
      const parts = progress.partCount > 1 ? ` · part ${progress.partsDone} of ${progress.partCount} done` : '';
      const resumed = resumedBytes > 0 ? ` · ${formatBytes(resumedBytes)} were already uploaded` : '';
      const sending = inFlightBytes > 0 && sentBytes < totalBytes ? ` · ${formatBytes(inFlightBytes)} on the way` : '';
      const left = sentBytes >= totalBytes ? 0 : rate.secondsLeft(totalBytes - resumedBytes);
      figures.textContent =
        `${percent} % · ${formatBytes(sentBytes)} of ${formatBytes(totalBytes)} · ${formatRate(rate.bytesPerSecond())} · ` +
        `${formatSeconds(left)} left${parts}${resumed}${sending}`;
      const step = Math.floor(percent / 10);
      if (step !== announcedStep) {
        announcedStep = step;
        announce(`${percent} % uploaded`);
      }
    },
    finish(message: string) {
      cancel.hidden = true;
      figures.textContent = message;
      announce(message);
    },
    hide() {
      panel.hidden = true;
    },
  };
}
