import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../functions/core/describe-failure.ts';

describe('describeFailure', () => {
  it('keeps the code and message of a Lambda error the user can act on', () => {
    const cause = JSON.stringify({ errorType: 'SubtitlesInvalidError', errorMessage: 'Subtitles line 4: malformed timestamp' });
    expect(describeFailure({ Error: 'SubtitlesInvalidError', Cause: cause })).toEqual({
      code: 'subtitles_invalid',
      message: 'Subtitles line 4: malformed timestamp',
    });
  });

  it('reads the worker\'s {code, message} cause', () => {
    const cause = JSON.stringify({ code: 'input_invalid', message: 'The upload has no video stream' });
    expect(describeFailure({ Error: 'InputInvalidError', Cause: cause })).toEqual({
      code: 'input_invalid',
      message: 'The upload has no video stream',
    });
  });

  it('does not show the cause of a server-side failure', () => {
    const failure = describeFailure({ Error: 'TranscodeFailedError', Cause: '{"message":"/tmp/x: Invalid data at 0x55d"}' });
    expect(failure.code).toBe('transcode_failed');
    expect(failure.message).not.toContain('/tmp');
  });

  it.each(['States.Timeout', 'States.HeartbeatTimeout'])('reports %s as a timeout', (name) => {
    expect(describeFailure({ Error: name, Cause: 'x' }).code).toBe('timeout');
  });

  it('says a worker that stopped heartbeating died or hung, and was retried', () => {
    expect(describeFailure({ Error: 'States.HeartbeatTimeout', Cause: 'No heartbeat for 120 s' }).message).toMatch(/stopped responding.*retried/);
  });

  it('keeps the worker\'s reason for a stalled encode', () => {
    const cause = JSON.stringify({ code: 'timeout', message: 'Encoding made no progress for 300 s at 0:42 and was stopped' });
    expect(describeFailure({ Error: 'TranscodeTimeoutError', Cause: cause })).toEqual({
      code: 'timeout',
      message: 'Encoding made no progress for 300 s at 0:42 and was stopped',
    });
  });

  it.each([
    ['SubtitlesUrlRefusedError', 'subtitles_url_refused'],
    ['SubtitlesFetchFailedError', 'subtitles_fetch_failed'],
    ['SubtitlesUnavailableError', 'subtitles_unavailable'],
  ])('keeps the code and reason of %s', (name, code) => {
    const cause = JSON.stringify({ errorType: name, errorMessage: 'The subtitle service at subs.example:443 answered 503' });
    expect(describeFailure({ Error: name, Cause: cause })).toEqual({ code, message: 'The subtitle service at subs.example:443 answered 503' });
  });

  it('reports anything unknown as an internal error with a generic message', () => {
    const failure = describeFailure({ Error: 'DynamoDB.InternalServerErrorException', Cause: 'arn:aws:dynamodb:secret' });
    expect(failure).toEqual({ code: 'internal_error', message: expect.not.stringContaining('arn:') });
  });
});
