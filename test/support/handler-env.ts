/**
 * Handlers parse their configuration at import. Unit tests import this first so that happens with a
 * complete, known configuration (and region/credentials the SDK needs to sign, without any AWS account).
 */
process.env.MEDIA_BUCKET = 'test-media';
process.env.VIDEOS_TABLE = 'test-videos';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST';
process.env.AWS_SECRET_ACCESS_KEY = 'secret-test';
process.env.LOG_LEVEL = 'silent';
process.env.CURSOR_SECRET = 'test-cursor-secret-0123456789abcdef0123456789';
export {};
