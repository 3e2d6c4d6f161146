import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Whether the module at `moduleUrl` (its import.meta.url) is the script node was started with, so a file can
 * be both imported (by tests, by the local cloud) and run (in the container, from npm scripts).
 * Paths are resolved through symlinks: an image or a checkout may reach the same file by two paths.
 */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
