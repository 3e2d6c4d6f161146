/**
 * Which audio track the output keeps and how: the one flagged default (else the first), at a bitrate by its
 * channel layout, copied when it is AAC that already fits.
 */
import type { ProbedAudioStream } from './probe.ts';

export interface AudioPlan {
  /** The track the output keeps: the one flagged default, else the first. */
  kept: ProbedAudioStream;
  dropped: ProbedAudioStream[];
  /** AAC bitrate in bits/s: 128k for mono and stereo, 64k per channel above (5.1: 384k). */
  bitsPerSecond: number;
  /** An AAC track within that bitrate (and at most 5.1) is copied as it is instead of re-encoded. */
  copy: boolean;
}

export function planAudio(tracks: ProbedAudioStream[]): AudioPlan | undefined {
  const kept = tracks.find((track) => track.isDefault) ?? tracks[0];
  if (kept === undefined) return undefined;
  const channels = kept.channels ?? 2;
  const bitsPerSecond = channels <= 2 ? 128_000 : 64_000 * Math.min(channels, 8);
  const copy = kept.codec === 'aac' && channels <= 6 && kept.bitRate !== undefined && kept.bitRate <= bitsPerSecond;
  return { kept, dropped: tracks.filter((track) => track !== kept), bitsPerSecond, copy };
}

/** "track 2 (fre, 2 ch)": how the record names a track (1-based among the audio tracks). */
export function describeAudioTrack(track: ProbedAudioStream, tracks: ProbedAudioStream[]): string {
  const details = [track.language ?? 'no language', `${track.channels ?? '?'} ch`, ...(track.isDefault ? ['default'] : [])];
  return `track ${tracks.indexOf(track) + 1} (${details.join(', ')})`;
}

/** The output's audio arguments: the kept track copied or encoded at its bitrate, or no audio at all. */
export function audioArgs(input: { audio?: AudioPlan | undefined; hasAudio: boolean }): string[] {
  if (input.audio !== undefined) {
    return input.audio.copy ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', `${input.audio.bitsPerSecond / 1000}k`];
  }
  return input.hasAudio ? ['-c:a', 'aac', '-b:a', '128k'] : ['-an'];
}

/** The record's audio_tracks: every track of the source (1-based), and which one the output kept. */
export function audioTrackRecords(tracks: ProbedAudioStream[], kept: ProbedAudioStream) {
  return tracks.map((track, position) => ({
    track: position + 1,
    language: track.language,
    channels: track.channels,
    codec: track.codec,
    default: track.isDefault,
    kept: track === kept,
  }));
}
