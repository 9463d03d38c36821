#!/usr/bin/env node
// Bundles the entry points into dist/ with esbuild (well under a second):
//  - dist/cli.mjs    the `skillopt` command (npm packages stay external: native
//                    modules such as better-sqlite3 and Temporal's bridge can't be bundled)
//  - dist/worker.mjs the production worker
//  - dist/hook.mjs   the Claude Code hook entry: everything inlined, so a hook
//                    starts by reading one small file.
// Workflow code is bundled separately by Temporal's own bundler (scripts/bundle-workflows.mjs).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  // ESM output still has to load CommonJS dependencies that call require().
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
};
const entries = [
  { in: 'cli/main.ts', out: 'dist/cli.mjs', packages: 'external' },
  { in: 'worker/main.ts', out: 'dist/worker.mjs', packages: 'external' },
  { in: 'hooks/main.ts', out: 'dist/hook.mjs', packages: undefined },
];
await Promise.all(
  entries
    .filter((e) => existsSync(join(root, e.in)))
    .map((e) =>
      build({ ...common, entryPoints: [join(root, e.in)], outfile: join(root, e.out), ...(e.packages ? { packages: e.packages } : {}) }),
    ),
);
