// Lint rules: typescript-eslint's recommended set with type information, so
// floating promises (a classic source of lost work in Temporal code) are errors.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Dependency direction (DESIGN.md "Components and layout"). Each folder may
// import, by relative path, only its own files and the folders (or single
// modules) listed here; anything two top-level folders share moves down a layer.
// `cli`, `worker` and `hooks` form one fixed order with one entry point each
// way: the CLI starts the embedded stack (worker/up), which drains the hooks'
// outbox (hooks/flusher); nothing imports back up, so no cycle can form. The
// dashboard is below both: `up` serves it, `skillopt dashboard` runs it alone.
const LAYERS = {
  core: [],
  local: ['core'],
  // The default SQLite location follows the one SKILLOPT_HOME rule.
  store: ['core', 'local/home'],
  agents: ['core'],
  // sync/visibility reads the workflows' search attributes and lane state (their one contract).
  sync: ['core', 'local', 'store', 'workflows/definitions'],
  activities: ['core', 'store', 'agents'],
  workflows: ['core', 'activities/types'],
  // hooks/machine-worker.ts, the teammate's on-demand worker, runs the model activities.
  hooks: ['core', 'local', 'store', 'sync', 'workflows', 'activities', 'agents'],
  worker: ['core', 'local', 'store', 'agents', 'activities', 'workflows', 'hooks/flusher', 'sync/candidate-notice', 'sync/central-namespace', 'dashboard'],
  cli: ['core', 'local', 'store', 'agents', 'sync', 'workflows', 'worker/up', 'dashboard', 'package.json'],
  dashboard: ['core', 'local', 'store', 'sync', 'workflows'],
};

// npm packages and Node built-ins, for the folders that may not use them freely.
// core/ is imported by workflow code (Temporal's sandbox): only pure packages, each
// named where it is used. Parsing SKILL.md's YAML frontmatter is domain logic and
// `yaml` does no I/O, so it stays in core; node:crypto's hashing is pure too
// (workflows never import fingerprint.ts); the message contract's schemas use
// valibot, pure JS that runs in the sandbox. local/ is on every hook's path: Node
// built-ins only, except the Temporal client module (never loaded by a hook).
const PACKAGES = {
  core: { '*': [], 'fingerprint.ts': ['node:crypto'], 'skill-document.ts': ['yaml'], 'messages.ts': ['valibot'] },
  local: { '*': ['node:*'], 'temporal.ts': ['node:*', '@temporalio/client', '@temporalio/envconfig'] },
};
const WORKFLOW_BUILTINS = builtinModules.filter((m) => m !== 'assert').flatMap((m) => [m, `node:${m}`]);

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
function dependencyDirection() {
  return Object.entries(LAYERS).flatMap(([folder, below]) => {
    // `../x` for a folder: x/... or x itself (its index); `../x/y` for one module.
    const allowed = below.map((dep) => (dep.includes('/') || dep.includes('.') ? `${escape(dep)}$` : `${escape(dep)}(?:/|$)`));
    const layer = {
      regex: allowed.length ? `^\\.\\./(?!(?:${allowed.join('|')}))` : '^\\.\\./',
      message: `${folder}/ may import only ${below.length ? below.map((d) => `${d}${d.includes('.') ? '' : '/'}`).join(', ') : 'its own files'} (DESIGN.md: dependencies flow one way)`,
    };
    const byFile = PACKAGES[folder] ?? { '*': undefined };
    return Object.entries(byFile).map(([file, packages]) => {
      const patterns = [layer];
      if (packages) {
        const ok = packages.map((p) => (p === 'node:*' ? 'node:' : `${escape(p)}$`));
        patterns.push({
          regex: `^(?!\\.{1,2}/${ok.length ? `|${ok.join('|')}` : ''})`,
          message: `${folder}/${file === '*' ? '' : file} may use ${packages.length ? packages.join(', ') : 'no npm package or Node built-in'} and no other package (eslint.config.js PACKAGES)`,
        });
      }
      if (folder === 'workflows') {
        // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O.
        patterns.push({ group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker'] });
      }
      const files = file === '*' ? [`${folder}/**/*.ts`] : [`${folder}/${file}`];
      const paths = folder === 'workflows' ? WORKFLOW_BUILTINS : [];
      return { files, rules: { 'no-restricted-imports': ['error', { paths, patterns }] } };
    });
  });
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', 'bench/results/**', 'test/histories/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...dependencyDirection(),
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
