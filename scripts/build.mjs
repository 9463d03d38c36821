#!/usr/bin/env node
// Bundles the entry points into dist/ with esbuild (well under a second):
//  - dist/cli.mjs    the `skillopt` command (npm packages stay external: native
//                    modules such as better-sqlite3 and Temporal's bridge can't be bundled)
//  - dist/worker.mjs the production worker
//  - dist/hook.cjs   the Claude Code hook entry (what `hooks install` writes into
//                    settings.json): our code inlined, Node built-ins only, no npm
//                    package, so a hook starts by reading one small file.
//                    SessionStart's store and pull code is a separate bundle, run as a
//                    detached process, dist/hook-session-start.mjs.
//  - dist/pi-extension.mjs  pi's hook entry, an extension pi loads (`hooks install --agent pi`
//                    writes a file into pi's extensions folder that re-exports it).
//  - dist/opencode-plugin.mjs  OpenCode's, a plugin OpenCode loads (`hooks install --agent opencode`
//                    writes a file into OpenCode's plugins folder that loads it).
//  - dist/flusher.mjs the detached process a hook starts to deliver the outbox to Temporal
//                    (the Temporal client inlined: it loads in ~100 ms instead of ~180);
//                    dist/machine-worker.mjs is its activities-only worker (teammate mode).
//  - dist/dashboard/app.js, app.css  the skills dashboard's page (uPlot inlined; dashboard/assets.ts
//                    serves them, or bundles the same in memory when they are missing or stale).
//  - dist/workflow-bundle.js  the workflow code bundled by Temporal's bundler, so `up` and
//                    the production worker skip webpack at start; rebuilt only when an input changed.
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rename, rm, utimes, writeFile } from 'node:fs/promises';
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
  { in: 'worker/production-worker.ts', out: 'dist/worker.mjs', packages: 'external' },
  // CommonJS: an ES-module entry alone costs a hook ~15% over a bare `node -e 0`, and
  // Node built-ins load without building their ES-module facades.
  {
    in: 'hooks/hook-entry.ts',
    out: 'dist/hook.cjs',
    packages: 'external',
    format: 'cjs',
    define: { 'import.meta.url': '__hookFileUrl' },
    banner: { js: "var __hookFileUrl = require('node:url').pathToFileURL(__filename).href;" },
  },
  // pi's hook entry: an extension pi loads into its own process (hooks/pi-extension.ts), Node built-ins only.
  { in: 'hooks/pi-extension.ts', out: 'dist/pi-extension.mjs', packages: 'external' },
  // OpenCode's hook entry: a plugin OpenCode loads into its own (Bun) process (hooks/opencode-plugin.ts), Node built-ins only.
  { in: 'hooks/opencode-plugin.ts', out: 'dist/opencode-plugin.mjs', packages: 'external' },
  // The Temporal client inlined: a flusher starts once per burst of hook events,
  // and skipping module resolution across node_modules halves its load time.
  { in: 'worker/flusher.ts', out: 'dist/flusher.mjs', packages: undefined },
  // This machine's on-demand worker, imported by the flusher only when it has a queue to
  // serve: npm packages external (the worker's native bridge cannot be bundled).
  { in: 'worker/machine-worker.ts', out: 'dist/machine-worker.mjs', packages: 'external' },
];
// The CLI is split into chunks, so a command loads only what it uses: `skills list`
// never loads Temporal's native worker, which only `up` needs.
const cli = build({
  ...common,
  entryPoints: { cli: join(root, 'cli/run-cli.ts') },
  outdir: join(root, 'dist'),
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  packages: 'external',
  metafile: true,
});

// SessionStart split the same way: the Temporal client (a teammate machine's
// pull and attribution) loads only in teammate mode, never before a local store's pull.
const sessionStart = build({
  ...common,
  entryPoints: { 'hook-session-start': join(root, 'hooks/session-start-process.ts') },
  outdir: join(root, 'dist'),
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunks/session-start-[name]-[hash]',
  packages: 'external',
  metafile: true,
});

/** Chunks of earlier builds (other hashes) would otherwise pile up and ship in `npm pack`: keep what these builds wrote. */
async function removeStaleChunks(results) {
  const current = new Set(results.flatMap(({ metafile }) => Object.keys(metafile.outputs).map((out) => resolve(root, out))));
  const chunks = join(root, 'dist', 'chunks');
  for (const name of existsSync(chunks) ? readdirSync(chunks) : []) {
    const path = join(chunks, name);
    if (!current.has(path)) await rm(path, { force: true });
  }
}
const splitBuilds = Promise.all([cli, sessionStart]).then(removeStaleChunks);
// Bundles under their names before the flusher moved to worker/: gone, or `npm pack` would ship them.
const RETIRED = ['hook-flusher.mjs', 'hook-machine-worker.mjs'].flatMap((name) => [name, `${name}.map`]);
const retired = Promise.all(RETIRED.map((name) => rm(join(root, 'dist', name), { force: true })));

// The same inputs worker/workflow-bundle.ts checks before trusting the bundle: keep them in step.
// package.json, not the lockfile: the SDK is pinned there, and `npm prune` (Dockerfile) rewrites the lockfile.
const WORKFLOW_INPUTS = ['workflows', 'core', join('activities', 'types.ts'), 'package.json'];
function newestMtime(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}
async function workflowBundle() {
  const entry = join(root, 'workflows', 'index.ts');
  if (!existsSync(entry)) return;
  const out = join(root, 'dist', 'workflow-bundle.js');
  const newestInput = Math.max(...WORKFLOW_INPUTS.map((p) => newestMtime(join(root, p))));
  const built = statSync(out, { throwIfNoEntry: false });
  if (built && built.mtimeMs >= newestInput) return;
  const { bundleWorkflowCode, DefaultLogger } = await import('@temporalio/worker');
  const { code } = await bundleWorkflowCode({ workflowsPath: entry, logger: new DefaultLogger('WARN') });
  // Atomic, so a worker starting meanwhile never loads half a bundle.
  const tmp = `${out}.${process.pid}.tmp`;
  await writeFile(tmp, code);
  // Stamped with its inputs' time: a source saved while webpack ran is newer, so the bundle reads as stale.
  // (Rounded up to the millisecond a Date can hold, or the bundle would read as older than its newest input.)
  const stamp = new Date(Math.ceil(newestInput));
  await utimes(tmp, stamp, stamp);
  await rename(tmp, out);
}

// The dashboard's pages, for the browser: the same options as dashboard/assets.ts.
const dashboardPages = [
  ['app', 'client.ts'],
  ['report', 'report-page.ts'],
]
  .filter(([, file]) => existsSync(join(root, 'dashboard', file)))
  .map(([name, file]) =>
    build({
      entryPoints: [join(root, 'dashboard', file)],
      bundle: true,
      outdir: join(root, 'dist', 'dashboard'),
      entryNames: name,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      minify: true,
      logLevel: 'warning',
    }),
  );

await Promise.all([
  retired,
  workflowBundle(),
  ...dashboardPages,
  splitBuilds,
  ...entries
    .filter((e) => existsSync(join(root, e.in)))
    .map((e) =>
      build({
        ...common,
        entryPoints: [join(root, e.in)],
        outfile: join(root, e.out),
        ...(e.packages ? { packages: e.packages } : {}),
        ...(e.format ? { format: e.format, define: e.define, banner: e.banner } : {}),
      }),
    ),
]);
