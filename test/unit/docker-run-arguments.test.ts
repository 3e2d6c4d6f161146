import { describe, expect, it } from 'vitest';
import { dockerRunArguments } from '../../infra/local/ecs/task-runner.ts';

describe('the docker launch of a local ECS task', () => {
  const args = dockerRunArguments({
    containerName: 'vidp-task-abc',
    image: 'vidp-ffmpeg-worker:local',
    environment: { TASK_TOKEN: 'secret-token', VIDEO_ID: 'v1' },
    taskDefinition: { cpu: 2048, memoryMiB: 4096 },
  });
  const joined = args.join(' ');

  it('runs the image on the host network with the task size as its CPU and memory limits', () => {
    expect(joined).toContain('--network host');
    expect(joined).toContain('--cpus 2');
    expect(joined).toContain('--memory 4096m --memory-swap 4096m');
    expect(args.at(-1)).toBe('vidp-ffmpeg-worker:local');
  });

  it('stops as ECS does: docker stop after a 30 s stop timeout, no signal proxied from the client', () => {
    expect(joined).toContain('--stop-timeout 30');
    expect(args).toContain('--sig-proxy=false');
  });

  it('names each variable of the task environment without its value on the command line', () => {
    expect(joined).toContain('-e TASK_TOKEN -e VIDEO_ID');
    expect(joined).not.toContain('secret-token');
  });

  it('passes the override Command as the container command, after the image', () => {
    const withCommand = dockerRunArguments({ containerName: 'c', image: 'img', environment: {}, taskDefinition: {}, command: ['--version'] });
    expect(withCommand.slice(-2)).toEqual(['img', '--version']);
    expect(withCommand).not.toContain('--cpus');
  });
});
