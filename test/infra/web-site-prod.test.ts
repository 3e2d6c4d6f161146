import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingsOf, logicalIdOf, resourcesOf, synthesizeVidp, type SynthesizedVidp } from './synthesize.ts';

/**
 * The page in a prod deployment with an API key (the prod of vidp-prod.test.ts uses IAM, and has no page): what
 * is kept on delete, and the reminder that the media bucket's CORS must name the site's origin.
 */
let vidp: SynthesizedVidp;
beforeAll(async () => {
  vidp = await synthesizeVidp({ stage: 'prod', allowedOrigins: 'https://app.example', apiAuth: 'apiKey' });
}, 120_000);
afterAll(() => vidp?.cleanUp());

describe('the web page in prod', () => {
  it('deletes the page\'s bucket with the stack (the deploy writes it again) and keeps the viewer logs', () => {
    const buckets = resourcesOf(vidp.statelessTemplate);
    expect(buckets[logicalIdOf(vidp.statelessTemplate, 'AWS::S3::Bucket', 'SiteBucket')]!.DeletionPolicy).toBe('Delete');
    expect(buckets[logicalIdOf(vidp.statelessTemplate, 'AWS::S3::Bucket', 'SiteLogs')]!.DeletionPolicy).toBe('Retain');
    const emptied = Object.values(vidp.statelessTemplate.findResources('Custom::S3AutoDeleteObjects'));
    expect(emptied.map((resource) => JSON.stringify(resource.Properties.BucketName))).toEqual([expect.stringContaining('SiteBucket')]);
  });

  it('reminds the operator to add the SiteUrl origin to allowedOrigins, which the bucket\'s stack cannot know', () => {
    const infos = Annotations.fromStack(vidp.stateless).findInfo('*', Match.stringLikeRegexp('SiteUrl output.*allowedOrigins'));
    expect(infos).toHaveLength(1);
  });

  it('passes cdk-nag with nothing unacknowledged', () => {
    expect(findingsOf(vidp.validationReport)).toEqual([]);
  });
});
