import cliProgress from 'cli-progress';
import { createTransferRate, formatBytes, formatSeconds, type UploadProgress, type Video } from '../web/client/index.ts';

/**
 * Progress on stderr (stdout stays for results): a live bar on a terminal; on anything else (a pipe, a log
 * file, CI) plain lines, one each 10 % and one per status change, that read well after the fact.
 */
export interface ProgressDisplay {
  upload(progress: UploadProgress): void;
  /** The video as the API reports it while waiting: status changes and the processing percentage. */
  video(video: Video): void;
  /** A line of its own (above the bar on a terminal). */
  note(line: string): void;
  stop(): void;
}

export function createProgressDisplay(stream: NodeJS.WriteStream, label: string): ProgressDisplay {
  return stream.isTTY ? createBarDisplay(stream, label) : createLineDisplay((line) => stream.write(`${line}\n`), label);
}

/** What both displays say about an upload: bytes, speed and time left from the shared smoothed rate. */
function uploadFigures() {
  const rate = createTransferRate();
  return (progress: UploadProgress) => {
    rate.sample(progress.sentBytes);
    const speed = rate.bytesPerSecond();
    const left = rate.secondsLeft(progress.totalBytes);
    return {
      // 100 % once S3 has confirmed it all, not when the last bytes leave.
      percent: progress.confirmedBytes >= progress.totalBytes ? 100 : Math.min(99, Math.floor((progress.sentBytes / progress.totalBytes) * 100)),
      bytes: `${formatBytes(progress.sentBytes)} of ${formatBytes(progress.totalBytes)}`,
      speed: speed === undefined ? '' : `${formatBytes(speed)}/s`,
      left: left === undefined || progress.sentBytes >= progress.totalBytes ? '' : `${formatSeconds(left)} left`,
      parts: progress.partCount > 1 ? `(${progress.partsDone} of ${progress.partCount} parts)` : '',
    };
  };
}

function resumeNote(label: string, progress: UploadProgress): string {
  return `resuming ${label}: ${progress.partsDone} of ${progress.partCount} parts (${formatBytes(progress.resumedBytes)}) already uploaded`;
}

export function createLineDisplay(write: (line: string) => void, label: string): ProgressDisplay {
  const figures = uploadFigures();
  let uploadDecade = -1;
  let status: string | undefined;
  let processingDecade = -1;
  return {
    upload(progress) {
      if (uploadDecade === -1 && progress.resumedBytes > 0) write(resumeNote(label, progress));
      const shown = figures(progress);
      const decade = Math.floor(shown.percent / 10);
      if (decade <= uploadDecade) return;
      uploadDecade = decade;
      write(['upload', `${shown.percent} %`, shown.bytes, shown.speed, shown.left, shown.parts].filter(Boolean).join('  '));
    },
    video(video) {
      // awaiting_upload is where every video starts, not news: the first change is to processing.
      if (video.status !== status && video.status !== 'awaiting_upload') {
        status = video.status;
        write(`status  ${video.status}${video.error === undefined ? '' : `  ${video.error.code}: ${video.error.message}`}`);
      }
      if (video.status === 'processing' && video.progress !== undefined) {
        const decade = Math.floor(video.progress / 10);
        if (decade > processingDecade) {
          processingDecade = decade;
          write(`processing  ${Math.floor(video.progress)} %`);
        }
      }
    },
    note: write,
    stop() {},
  };
}

function createBarDisplay(stream: NodeJS.WriteStream, label: string): ProgressDisplay {
  const figures = uploadFigures();
  const bars = new cliProgress.MultiBar(
    {
      stream,
      format: '{phase} [{bar}] {percentage}% {detail}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 10,
      barCompleteChar: '█',
      barIncompleteChar: '░',
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | undefined;
  let phase = '';
  let status: string | undefined;
  let stopped = false;
  const show = (name: string, total: number, value: number, detail: string) => {
    if (bar === undefined) bar = bars.create(total, value, { phase: name, detail });
    if (name !== phase) {
      phase = name;
      bar.setTotal(total);
    }
    bar.update(value, { phase: name.padEnd(10), detail });
  };
  return {
    upload(progress) {
      if (bar === undefined && progress.resumedBytes > 0) stream.write(`${resumeNote(label, progress)}\n`);
      const shown = figures(progress);
      show('upload', progress.totalBytes, progress.sentBytes, [shown.bytes, shown.speed, shown.left, shown.parts].filter(Boolean).join('  '));
    },
    video(video) {
      if (video.status !== status && video.status !== 'awaiting_upload') {
        status = video.status;
        bars.log(`${label}: ${video.status}${video.error === undefined ? '' : ` (${video.error.code}: ${video.error.message})`}\n`);
      }
      if (video.status === 'processing') show('processing', 100, Math.floor(video.progress ?? 0), '');
      if (video.status === 'saved') show('processing', 100, 100, 'saved');
    },
    note(line) {
      if (bar === undefined) stream.write(`${line}\n`);
      else bars.log(`${line}\n`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bars.stop();
    },
  };
}
