#!/usr/bin/env node
// Bundles the entry points into dist/ with esbuild (well under a second):
//  - dist/cli.mjs    the `skillopt` command (npm packages stay external: native
//                    modules such as better-sqlite3 and Temporal's bridge can't be bundled)
//  - dist/worker.mjs the production worker
//  - dist/hook.mjs   the Claude Code hook entry: our code inlined, Node built-ins only
//                    (through require(), see below; no npm package), so a hook starts by
//                    reading one small file. SessionStart's store and pull code is a separate bundle,
//                    dist/hook-session-start.mjs, loaded on demand; dist/hook-flusher.mjs
//                    is the detached process that delivers the hooks' outbox to Temporal
//                    (the Temporal client inlined: it loads in ~100 ms instead of ~180).
// Workflow code is bundled separately by Temporal's own bundler (scripts/bundle-workflows.mjs).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
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
// dist/hook.mjs: Node built-ins through require() instead of `import`. An ESM
// import of a built-in builds its ES-module facade, reading every export, and
// node:fs's lazy getters then load the whole streams stack: about 2 ms, on
// every prompt of every session (the hook's own work takes less). Each
// built-in becomes a small module re-exporting its plain function/value
// properties from require() (no getters touched, no CommonJS interop helpers).
const requireForBuild = createRequire(import.meta.url);
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const RESERVED = new Set(['default', 'delete', 'new', 'function', 'class', 'const', 'let', 'var', 'import', 'export', 'in', 'of', 'typeof', 'void', 'with', 'yield', 'await', 'enum', 'return', 'switch', 'case', 'do', 'if', 'else', 'for', 'while', 'break', 'continue', 'throw', 'try', 'catch', 'finally', 'this', 'super', 'null', 'true', 'false', 'debugger', 'extends', 'instanceof']);
const builtinsViaRequire = {
  name: 'builtins-via-require',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.namespace === 'builtin-require' ? { path: args.path, external: true } : { path: args.path, namespace: 'builtin-require' },
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (args) => {
      const mod = requireForBuild(args.path);
      const names = Object.keys(mod).filter((k) => IDENTIFIER.test(k) && !RESERVED.has(k) && 'value' in Object.getOwnPropertyDescriptor(mod, k));
      // Marked pure, so esbuild drops every export the hook does not use.
      const lines = [
        `const m = require(${JSON.stringify(args.path)});`,
        'const get = (name) => m[name];',
        ...names.map((n) => `export const ${n} = /* @__PURE__ */ get(${JSON.stringify(n)});`),
        'export default m;',
      ];
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};
const entries = [
  { in: 'cli/main.ts', out: 'dist/cli.mjs', packages: 'external' },
  { in: 'worker/main.ts', out: 'dist/worker.mjs', packages: 'external' },
  { in: 'hooks/main.ts', out: 'dist/hook.mjs', packages: 'external', plugins: [builtinsViaRequire] },
  { in: 'hooks/session-start.ts', out: 'dist/hook-session-start.mjs', packages: 'external' },
  // The Temporal client inlined: a flusher starts once per burst of hook events,
  // and skipping module resolution across node_modules halves its load time.
  { in: 'hooks/flusher.ts', out: 'dist/hook-flusher.mjs', packages: undefined },
];
await Promise.all(
  entries
    .filter((e) => existsSync(join(root, e.in)))
    .map((e) =>
      build({
        ...common,
        entryPoints: [join(root, e.in)],
        outfile: join(root, e.out),
        ...(e.packages ? { packages: e.packages } : {}),
        ...(e.plugins ? { plugins: e.plugins } : {}),
      }),
    ),
);
