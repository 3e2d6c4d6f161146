/** A handler whose module throws while it loads, as a handler with a broken configuration does. */
throw new Error('Invalid configuration: MEDIA_BUCKET: Required');

export function handler() {
  return 'never';
}
