#!/usr/bin/env node
// The `vidp` bin: runs the TypeScript entry through tsx's loader, so a fresh clone works after `npm ci` with
// no build step. Exits only once stdout has been flushed (a pipe reader must get the whole JSON document).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
const code = await main(process.argv.slice(2));
process.stdout.write('', () => process.exit(code));
