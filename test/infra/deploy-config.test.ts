import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readDeployConfig } from '../../infra/aws/deploy-config.ts';
import { cdkJsonContext } from '../../infra/shared/repository.ts';

/** Deploy parameters as `-c name=value` delivers them: strings, checked before anything is built. */
const configFrom = (context: Record<string, unknown>) => readDeployConfig(new App({ context }).node);

describe('readDeployConfig', () => {
  it('reads cdk.json\'s defaults as a dev deployment with an API key', () => {
    expect(configFrom(cdkJsonContext())).toMatchObject({
      stage: 'dev',
      allowedOrigins: ['*'],
      transcodeCpu: 2048,
      transcodeMemoryMiB: 4096,
      transcodeEphemeralStorageGiB: 20,
      logRetentionDays: 30,
      maxUploadBytes: 5 * 1024 ** 3,
      apiAuth: 'apiKey',
      fargateSpot: true,
      fargateSpotDiscount: 0.5,
      parallelMinSeconds: 300,
      segmentSeconds: 120,
      segmentMaxConcurrency: 10,
    });
  });

  it('takes the segment settings from -c, and refuses more segments at once than an inline Map runs (40)', () => {
    expect(configFrom({ parallelMinSeconds: '600', segmentSeconds: '90', segmentMaxConcurrency: '30' })).toMatchObject({
      parallelMinSeconds: 600,
      segmentSeconds: 90,
      segmentMaxConcurrency: 30,
    });
    expect(() => configFrom({ segmentMaxConcurrency: '41' })).toThrow(/-c segmentMaxConcurrency:/);
    expect(() => configFrom({ segmentMaxConcurrency: '1' })).toThrow(/-c segmentMaxConcurrency:/);
    expect(() => configFrom({ parallelMinSeconds: '0' })).toThrow(/-c parallelMinSeconds:/);
  });

  it('turns Spot off with -c fargateSpot=false and refuses anything but true or false, or a discount of 100 % or more', () => {
    expect(configFrom({ fargateSpot: 'false' }).fargateSpot).toBe(false);
    expect(configFrom({ fargateSpot: 'true', fargateSpotDiscount: '0.7' })).toMatchObject({ fargateSpot: true, fargateSpotDiscount: 0.7 });
    expect(() => configFrom({ fargateSpot: 'no' })).toThrow(/-c fargateSpot:/);
    expect(() => configFrom({ fargateSpotDiscount: '1' })).toThrow(/-c fargateSpotDiscount:/);
  });

  it('turns command-line strings into numbers and lists', () => {
    const config = configFrom({ allowedOrigins: 'https://a.example, https://b.example', transcodeCpu: '4096', transcodeMemoryMiB: '8192' });

    expect(config).toMatchObject({ allowedOrigins: ['https://a.example', 'https://b.example'], transcodeCpu: 4096, transcodeMemoryMiB: 8192 });
  });

  it('refuses "*" as the origin of a prod deployment', () => {
    expect(() => configFrom({ stage: 'prod' })).toThrow(/allowedOrigins: prod needs the real origins/);
  });

  it('refuses a memory size Fargate does not offer with the chosen CPU', () => {
    expect(() => configFrom({ transcodeCpu: '1024', transcodeMemoryMiB: '16384' })).toThrow(/transcodeMemoryMiB: with transcodeCpu 1024/);
  });

  it('refuses a log retention CloudWatch Logs does not offer, naming the parameter', () => {
    expect(() => configFrom({ logRetentionDays: '45' })).toThrow(/-c logRetentionDays: must be one of/);
  });
});
