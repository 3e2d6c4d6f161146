import { Command, InvalidArgumentError, Option } from 'commander';
import { CRF_MAX, CRF_MIN, ResolutionSchema, VIDEO_STATUSES, X264_PRESETS } from '../functions/core/video.ts';
import { SOURCE_EXTENSIONS } from '../functions/core/source-media.ts';
import packageJson from '../package.json' with { type: 'json' };
import { createContext, DEFAULT_API_URL, type CommandContext, type GlobalOptions } from './context.ts';
import { uploadCommand } from './commands/upload.ts';
import { deleteCommand, getCommand, listCommand, playCommand, retryCommand } from './commands/videos.ts';

/**
 * The `vidp` command line, declared with commander (14.x: it runs on Node 20). Parsing errors are not
 * printed here: commander throws them (exitOverride) and main.ts reports every error the one way.
 */
export interface ProgramIo {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: NodeJS.WriteStream;
  signal: AbortSignal;
}

function wholeNumber(min: number, max: number) {
  return (value: string) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || number < min || number > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    return number;
  };
}

function httpUrl(value: string): string {
  try {
    if (/^https?:$/.test(new URL(value).protocol)) return value;
  } catch {
    // falls through to the refusal
  }
  throw new InvalidArgumentError('must be an http(s) URL.');
}

export function buildProgram(io: ProgramIo): Command {
  const program = new Command('vidp');
  program
    .description('Upload videos to vidp, follow their jobs, play, retry and delete them.')
    .version(packageJson.version)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: (text) => io.err.write(text), outputError: () => {} })
    .showSuggestionAfterError()
    .addOption(new Option('--api <url>', 'base URL of the vidp API').env('VIDP_API_URL').default(DEFAULT_API_URL))
    .addOption(new Option('--api-key <key>', 'API key, sent as x-api-key').env('VIDP_API_KEY'))
    .addHelpText('after', '\nExit codes: 0 ok, 1 job failed or API refused, 2 usage, 3 API unreachable, 130 interrupted.');

  const context = (command: Command): CommandContext => createContext(command.optsWithGlobals<GlobalOptions>(), io);

  program
    .command('upload')
    .description('upload a video with its subtitles (multipart and resumable for large files)')
    .argument('<video>', `video file (${SOURCE_EXTENSIONS.map((extension) => `.${extension}`).join(' ')})`)
    .option('--srt <file>', 'subtitles file to upload (SRT or WebVTT)')
    .addOption(new Option('--srt-url <url>', 'subtitles from a subtitle-service URL, fetched by the pipeline').argParser(httpUrl).conflicts('srt'))
    .addOption(new Option('--resolution <box>', 'output box (default 720p)').choices(ResolutionSchema.options))
    .addOption(new Option('--crf <n>', `quality, ${CRF_MIN} (best) to ${CRF_MAX} (default 23)`).argParser(wholeNumber(CRF_MIN, CRF_MAX)))
    .addOption(new Option('--preset <preset>', 'x264 preset (default: the deployment’s)').choices(X264_PRESETS))
    .option('--wait', 'follow the job until it is saved or failed')
    .option('--json', 'print the record as one JSON document')
    .action((video: string, options, command: Command) => uploadCommand(context(command), video, options));

  program
    .command('list')
    .description('list videos, newest first')
    .addOption(new Option('--status <status>', 'only videos in this status').choices(VIDEO_STATUSES))
    .option('--source-video-id <id>', 'only videos with this source_video_id')
    .option('--filename <name>', 'only videos with this filename')
    .addOption(new Option('--limit <n>', 'at most this many').argParser(wholeNumber(1, 10_000)).default(20))
    .option('--json', 'print the list as one JSON array')
    .action((options, command: Command) => listCommand(context(command), options));

  program
    .command('get')
    .description('show a video: status, progress, error, playback URL')
    .argument('<id>', 'video id')
    .option('--json', 'print the record as one JSON document')
    .action((id: string, options, command: Command) => getCommand(context(command), id, options));

  program
    .command('play')
    .description('print the playback URL of a saved video (presigned, valid 1 h)')
    .argument('<id>', 'video id')
    .option('--open', 'open it in the default browser or player')
    .action((id: string, options, command: Command) => playCommand(context(command), id, options));

  program
    .command('delete')
    .description('stop processing and remove a video, its files and its record')
    .argument('<id>', 'video id')
    .action((id: string, _options, command: Command) => deleteCommand(context(command), id));

  program
    .command('retry')
    .description('process a failed video again from its kept upload')
    .argument('<id>', 'video id')
    .option('--wait', 'follow the job until it is saved or failed')
    .action((id: string, options, command: Command) => retryCommand(context(command), id, options));

  return program;
}
