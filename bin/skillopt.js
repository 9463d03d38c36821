#!/usr/bin/env node
// The `skillopt` command: runs the bundle that `npm ci` (prepare) or `npm run build` wrote.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.mjs');
if (!existsSync(cli)) {
  console.error('skillopt: dist/cli.mjs is missing; run `npm run build` (npm ci does it for you)');
  process.exit(1);
}
await import(pathToFileURL(cli).href);
