/**
 * Media figures (`npm run bench -- sources` and `-- fonts`), on the pipeline bench's clip (60 s 1080p → 720p, veryfast, CRF 23).
 * Each figure is given as wall-clock time and as ffmpeg's CPU time (user + system): this machine's two cores
 * are shared, so the wall clock swings by tens of percent from run to run while the CPU time holds.
 *
 * Non-interleaved source: the clip remuxed with all its video stored before all its audio, against the clip
 * itself (its interleaved twin). Once each through the whole local pipeline: the GETs its source key
 * received (the local S3's access log) and the worker's timings. Then the encode as the worker runs it, in
 * alternating rounds: the twin through its presigned URL; the non-interleaved file copied to disk and
 * encoded from the copy (copy included in its wall time). Goal: within 10 %. For contrast, once: the
 * worker's command reading the non-interleaved file through its URL, as the worker did before the rule.
 *
 * Fonts and filters: the worker's encode command now (its full plan: the stream chosen, the colour range
 * and tags, the audio plan, the deinterlace / crop / range filters where the source needs them — this clip
 * needs none —, the ASS script burned by the `ass` filter with complex shaping, and every installed font:
 * DejaVu, Noto core and CJK, Symbola) against before issue 12 (no output plan, the `subtitles` filter on the
 * SRT, fontconfig limited to DejaVu as the image was). Goal: within 3 %.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { subtitleFontSize } from '../../containers/ffmpeg/src/ass-script.ts';
import { buildTranscodeArgs, escapeFilterValue } from '../../containers/ffmpeg/src/ffmpeg-command.ts';
import { downloadObject } from '../../containers/ffmpeg/src/media-storage.ts';
import { planOutput } from '../../containers/ffmpeg/src/output-plan.ts';
import { probe } from '../../containers/ffmpeg/src/probe.ts';
import { InputInvalidError } from '../../functions/core/errors.ts';
import { RESOLUTION_PRESETS } from '../../functions/core/video.ts';
import { makeSampleClip, sampleCues, writeBurnInScript, writeSrt, type SampleCue } from '../../infra/dev-kit/sample-media.ts';
import type { LocalCloud } from '../../infra/local/cloud.ts';
import { LOCAL_ADMIN_CREDENTIALS, LOCAL_REGION } from '../../infra/local/local-resources.ts';
import { CLIP, ffmpeg, median, OUT, pipelineEndToEnd, ROUNDS, secondsOf, TARGET, timed } from './pipeline.ts';

const run = promisify(execFile);
const FONTS_DIR = process.env.FONTS_DIR ?? '/usr/share/fonts/truetype/dejavu';
const percent = (after: number, before: number) => `${after >= before ? '+' : ''}${((after / before - 1) * 100).toFixed(1)} %`;

/**
 * The worker's encode command for `source`: as job.ts builds it now (its output plan, the ASS script it
 * writes, burned with libass' complex shaping), or as it was before issue 12 (`before`: no output plan, the
 * `subtitles` filter on the SRT with DejaVu as the style's font).
 */
async function encodeCommand(source: string, subtitles: { srt: string; cues: readonly SampleCue[] }, output: string, rules: 'now' | 'before'): Promise<string[]> {
  const signal = new AbortController().signal;
  const probed = await probe(source, 'source', { ffprobePath: 'ffprobe', timeoutMs: 120_000, signal });
  const plan = await planOutput(probed, { location: source, etag: '', box: RESOLUTION_PRESETS[TARGET.resolution], ffmpegPath: 'ffmpeg', timeoutMs: 120_000, signal });
  const script = join(OUT, 'media-burn-in.ass');
  await writeBurnInScript(script, subtitles.cues, { fontSize: subtitleFontSize(plan.size.width, plan.size.height) });
  const common = { inputPath: source, outputPath: output, subtitlesPath: script, fontsDir: FONTS_DIR, ...plan.size, crf: TARGET.crf, preset: TARGET.preset, hasAudio: probed.hasAudio };
  if (rules === 'now') {
    return buildTranscodeArgs({ ...common, video: plan.video, audio: plan.audio, frameRate: plan.frameRate, durationSeconds: probed.durationSeconds });
  }
  const before = buildTranscodeArgs(common);
  const style = escapeFilterValue('FontName=DejaVu Sans');
  before[before.indexOf('-vf') + 1] =
    `scale=${plan.size.width}:${plan.size.height},setsar=1,subtitles=filename=${escapeFilterValue(subtitles.srt)}:fontsdir=${escapeFilterValue(FONTS_DIR)}:force_style=${style}`;
  return before;
}

/** A fontconfig configuration that knows DejaVu only: the fonts the image had before. */
async function dejavuOnlyFontconfig(): Promise<string> {
  const file = join(OUT, 'fonts-dejavu-only.conf');
  await writeFile(
    file,
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig><dir>${FONTS_DIR}</dir><cachedir>${join(OUT, 'fontconfig-cache')}</cachedir></fontconfig>\n`,
  );
  return file;
}

/** Wall-clock and CPU time (user + system) of one ffmpeg run: on this shared machine CPU time is the steady figure. */
interface Measured {
  wallMs: number;
  cpuMs: number;
}

async function measured(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  const times = join(OUT, 'time.txt');
  await run('/usr/bin/time', ['-o', times, '-f', '%e %U %S', 'ffmpeg', ...args], { env, maxBuffer: 64 * 1024 * 1024 });
  const [wall = NaN, user = NaN, system = NaN] = (await readFile(times, 'utf8')).trim().split(/\s+/).map(Number);
  return { wallMs: wall * 1000, cpuMs: (user + system) * 1000 };
}

const medians = (runs: Measured[]): Measured => ({ wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)) });
const shown = (m: Measured) => `wall ${secondsOf(m.wallMs)}, CPU ${secondsOf(m.cpuMs)}`;
const ratio = (after: Measured, before: Measured) => `wall ${percent(after.wallMs, before.wallMs)}, CPU ${percent(after.cpuMs, before.cpuMs)}`;

async function fontsAndFilters(say: (line?: string) => void, source: string, subtitles: { srt: string; cues: readonly SampleCue[] }): Promise<void> {
  const fontconfigFile = await dejavuOnlyFontconfig();
  const before = await encodeCommand(source, subtitles, join(OUT, 'before.mp4'), 'before');
  const now = await encodeCommand(source, subtitles, join(OUT, 'now.mp4'), 'now');
  const env = { ...process.env, FONTCONFIG_FILE: fontconfigFile };
  // Fontconfig's caches are built before timing (a task builds its own at its first job either way).
  const warmUp = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=s=64x64:d=0.1', '-vf', `subtitles=${subtitles.srt}`, '-f', 'null', '-'];
  await Promise.all([measured(warmUp), measured(warmUp, env)]);
  const beforeRuns: Measured[] = [];
  const nowRuns: Measured[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    beforeRuns.push(await measured(before, env));
    nowRuns.push(await measured(now));
    say(`round ${round}: before ${shown(beforeRuns.at(-1)!)}; now ${shown(nowRuns.at(-1)!)}`);
  }
  say(`encode before the media rules, DejaVu only, median: ${shown(medians(beforeRuns))}`);
  say(`encode with the worker's command now, every font:   ${shown(medians(nowRuns))}`);
  say(`  the commands' arguments: ${difference(before, now)}`);
  say(`fonts and filters, now against before: ${ratio(medians(nowRuns), medians(beforeRuns))}  (goal: within 3 %)`);
}

/** The two filter graphs, and the other arguments only one of the two commands has. */
function difference(before: string[], now: string[]): string {
  const graph = (args: string[]) => args[args.indexOf('-vf') + 1] ?? '';
  const only = (a: string[], b: string[]) => a.filter((arg) => !b.includes(arg) && !arg.endsWith('.mp4') && arg !== graph(a)).join(' ') || 'none';
  return `\n    before: -vf ${graph(before)}\n    now:    -vf ${graph(now)}\n    other arguments, before only: ${only(before, now)}; now only: ${only(now, before)}`;
}

const getsOf = (cloud: LocalCloud, key: string) => cloud.s3RequestsFor(key).filter((request) => request.method === 'GET').length;

async function nonInterleaved(say: (line?: string) => void, cloud: LocalCloud, source: string, subtitles: { srt: string; cues: readonly SampleCue[] }): Promise<void> {
  const twin = join(OUT, 'non-interleaved.mp4');
  // All the video first, then all the audio: each stream's packets in one chunk of unlimited duration.
  await ffmpeg(['-hide_banner', '-loglevel', 'error', '-y', '-i', source, '-c', 'copy', '-chunk_duration', '1000000000', '-max_interleave_delta', '0', twin]);
  const files = { interleaved: source, 'non-interleaved': twin } as const;
  const names = Object.keys(files) as (keyof typeof files)[];

  // Through the whole pipeline, once each: what the source costs in GETs, and the worker's own timings.
  for (const name of names) {
    const job = await pipelineEndToEnd(cloud, files[name], subtitles.srt);
    if (job.status !== 'saved') throw new Error(`the ${name} source ended ${job.status}`);
    const { download_ms = NaN, probe_ms = NaN, encode_ms = NaN } = job.timings ?? {};
    say(`pipeline, ${name}: ${getsOf(cloud, `uploads/${job.videoId}/source.mp4`)} GETs of the source; worker: source lookup + copy ${secondsOf(download_ms)}, probe ${secondsOf(probe_ms)}, encode ${secondsOf(encode_ms)}`);
  }

  // The encode as the worker runs it, alternating: the twin read through its presigned URL, the
  // non-interleaved file copied from S3 to disk first (the worker's own download) and encoded from the copy.
  const s3 = new S3Client({ region: LOCAL_REGION, credentials: LOCAL_ADMIN_CREDENTIALS, endpoint: cloud.s3Endpoint, forcePathStyle: true });
  const urls: Record<string, string> = {};
  for (const name of names) {
    const key = `bench/${name}.mp4`;
    await s3.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: key, Body: await readFile(files[name]) }));
    urls[name] = await getSignedUrl(s3, new GetObjectCommand({ Bucket: cloud.bucket, Key: key }), { expiresIn: 3600 });
  }
  const reading = async (name: keyof typeof files, location: string) => {
    const args = await encodeCommand(files[name], subtitles, join(OUT, `read-${name}.mp4`), 'now');
    args[args.indexOf('-i') + 1] = location;
    return args;
  };
  const copy = join(OUT, 'copy-non-interleaved.mp4');
  const signal = new AbortController().signal;
  const twinRuns: Measured[] = [];
  const copiedRuns: Measured[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    twinRuns.push(await measured(await reading('interleaved', urls.interleaved!)));
    const copyMs = await timed(() => downloadObject(s3, { bucket: cloud.bucket, key: 'bench/non-interleaved.mp4', file: copy, signal }, () => new InputInvalidError('the bench copy is gone')));
    const encoded = await measured(await reading('non-interleaved', copy));
    copiedRuns.push({ wallMs: encoded.wallMs + copyMs, cpuMs: encoded.cpuMs });
    say(`round ${round}: interleaved through its URL ${shown(twinRuns.at(-1)!)}; non-interleaved, copy ${secondsOf(copyMs)} + encode ${shown(encoded)}`);
  }
  say(`interleaved twin, through its URL, median:      ${shown(medians(twinRuns))}`);
  say(`non-interleaved, copy + encode (wall), median: ${shown(medians(copiedRuns))}`);
  say(`non-interleaved against its twin: ${ratio(medians(copiedRuns), medians(twinRuns))}  (goal: within 10 %)`);

  // Before the rule: the worker's command reading the non-interleaved file through its URL.
  const gets = getsOf(cloud, 'bench/non-interleaved.mp4');
  const before = await measured(await reading('non-interleaved', urls['non-interleaved']!));
  say(`before the rule, non-interleaved through its URL: ${getsOf(cloud, 'bench/non-interleaved.mp4') - gets} GETs, ${shown(before)} ` +
    `(twin: ${getsOf(cloud, 'bench/interleaved.mp4') / ROUNDS} GETs a run)`);
  s3.destroy();
}

async function sampleMedia(): Promise<{ source: string; subtitles: { srt: string; cues: readonly SampleCue[] } }> {
  await mkdir(OUT, { recursive: true });
  const source = join(OUT, 'media-source.mp4');
  const subtitles = { srt: join(OUT, 'media-subtitles.srt'), cues: sampleCues(CLIP.seconds) };
  await Promise.all([makeSampleClip(source, CLIP), writeSrt(subtitles.srt, subtitles.cues)]);
  return { source, subtitles };
}

const heading = () => `${CLIP.seconds} s ${CLIP.width}x${CLIP.height} clip → ${TARGET.resolution}, preset ${TARGET.preset}, CRF ${TARGET.crf}, ${ROUNDS} rounds`;

/** `npm run bench -- sources`: the non-interleaved source against its interleaved twin. */
export async function runSourcesBench(say: (line?: string) => void, cloud: LocalCloud): Promise<void> {
  say(`non-interleaved source against its interleaved twin — ${heading()}`);
  const { source, subtitles } = await sampleMedia();
  await nonInterleaved(say, cloud, source, subtitles);
}

/** `npm run bench -- fonts`: the encode with the new fonts and filters against before. */
export async function runFontsBench(say: (line?: string) => void): Promise<void> {
  say(`fonts and filters against before — ${heading()}`);
  const { source, subtitles } = await sampleMedia();
  await fontsAndFilters(say, source, subtitles);
}
