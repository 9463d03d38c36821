// Lint rules: typescript-eslint's recommended set with type information, so
// floating promises (a classic source of lost work in Temporal code) are errors.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Dependency direction (DESIGN.md "Components and layout"). Each folder may
// import, by relative path, only its own files and the folders (or single
// modules) listed here; anything two top-level folders share moves down a layer.
// `hooks` and `worker` never import each other: what both need (the outbox, the
// flusher's lock, the hooks' log, the judgment queue) lives in local/; the hooks
// start the flusher (worker/flusher.ts) as a process, by its bundle's path. The
// CLI starts the embedded stack through one entry point (worker/up), and nothing
// imports back up, so no cycle can form. The dashboard is below both: `up`
// serves it, `skillopt dashboard` runs it alone. The hooks import no workflow,
// activity code, and of agents/ only what tells them about an agent (its skill
// roots, how its events name a skill's use): never a model backend or a setup.
// What the hooks may import of agents/: Node built-ins only, each (PACKAGES below).
const HOOK_SAFE_AGENT_MODULES = ['agents/registry', 'agents/agent', 'agents/hook-payload', 'agents/prompt-offset', 'agents/skills-in-context', 'agents/shared-skills', 'agents/opencode/agent'];
const LAYERS = {
  core: [],
  local: ['core'],
  store: ['core'],
  // An agent's places (CODEX_HOME, the user's home) and config files are this machine's.
  agents: ['core', 'local'],
  // The backend seam: the store, or the central worker through Temporal (its workflows' message definitions, and their types).
  team: ['core', 'local', 'store', 'workflows/definitions', 'workflows/skill-workflow', 'workflows/store-request-workflow'],
  // This machine's skill folders and the team's skills: pull and push through the seam.
  sync: ['core', 'local', 'team', 'agents/registry'],
  // The central worker serves teammates' store requests with the seam's direct backend;
  // signals go to the lanes through their definitions.
  activities: ['core', 'store', 'agents', 'team', 'workflows/definitions'],
  workflows: ['core', 'activities/types'],
  hooks: ['core', 'local', 'store', 'sync', 'team', ...HOOK_SAFE_AGENT_MODULES],
  // worker/machine-worker.ts, the teammate's on-demand worker, runs the model activities.
  worker: ['core', 'local', 'store', 'agents', 'activities', 'workflows', 'team', 'dashboard'],
  cli: ['core', 'local', 'store', 'agents', 'sync', 'team', 'workflows', 'worker/up', 'dashboard', 'package.json'],
  dashboard: ['core', 'local', 'sync', 'team'],
};

// Modules a folder may import for their types only, never a value: workflow code
// runs in Temporal's sandbox and reaches activities only through their interface
// (a value it needs, like the failure types, lives in core/).
const TYPES_ONLY = { workflows: ['activities/types'] };

// npm packages and Node built-ins, for the folders that may not use them freely.
// core/ is imported by workflow code (Temporal's sandbox): only pure packages, each
// named where it is used. Parsing SKILL.md's YAML frontmatter is domain logic and
// `yaml` does no I/O, so it stays in core; node:crypto's hashing is pure too
// (workflows never import fingerprint.ts); the message contract's schemas use
// valibot, pure JS that runs in the sandbox; signatures use noble's ed25519 and
// sha256, pure JS too, so the lane's update validators check them. local/ is on every hook's path: Node
// built-ins only, except the Temporal client module and the outbox's event checks
// (valibot), which no hook loads (a hook imports only the event's type).
const HOOK_PATH_ONLY_BUILTINS = ['node:*'];
const PACKAGES = {
  // What a hook loads of agents/ (and each agent's agent.ts, which the registry loads).
  agents: {
    '*': undefined,
    ...Object.fromEntries(HOOK_SAFE_AGENT_MODULES.map((m) => [`${m.slice('agents/'.length)}.ts`, HOOK_PATH_ONLY_BUILTINS])),
    'claude/agent.ts': HOOK_PATH_ONLY_BUILTINS,
    'codex/agent.ts': HOOK_PATH_ONLY_BUILTINS,
  },
  core: { '*': [], 'fingerprint.ts': ['node:crypto'], 'content-hash.ts': ['node:crypto'], 'skill-document.ts': ['yaml'], 'messages.ts': ['valibot'], 'signing.ts': ['@noble/curves/ed25519.js', '@noble/hashes/sha2.js', '@noble/hashes/utils.js'] },
  local: {
    '*': ['node:*'],
    'temporal.ts': ['node:*', '@temporalio/client', '@temporalio/envconfig'],
    'outbox/event.ts': ['node:*', 'valibot'],
    // gitignore syntax for .skilloptignore, as git reads it.
    'skill-folder.ts': ['node:*', 'ignore'],
  },
};
const WORKFLOW_BUILTINS = builtinModules.filter((m) => m !== 'assert').flatMap((m) => [m, `node:${m}`]);

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
function dependencyDirection() {
  return Object.entries(LAYERS).flatMap(([folder, below]) => {
    // `../x` for a folder: x/... or x itself (its index); `../x/y` for one module.
    const allowed = below.map((dep) => (dep.includes('/') || dep.includes('.') ? `${escape(dep)}$` : `${escape(dep)}(?:/|$)`));
    // A file in a subfolder (local/outbox/) reaches the other folders through one more `../`;
    // a single `../` stays inside its own folder.
    const layer = (depth) => {
      const up = '\\.\\./'.repeat(depth);
      return {
        regex: allowed.length ? `^${up}(?!(?:${allowed.join('|')}))` : `^${up}`,
        message: `${folder}/ may import only ${below.length ? below.map((d) => `${d}${d.includes('.') ? '' : '/'}`).join(', ') : 'its own files'} (DESIGN.md: dependencies flow one way)`,
      };
    };
    const byFile = PACKAGES[folder] ?? { '*': undefined };
    return Object.entries(byFile).flatMap(([file, packages]) => {
      const targets =
        file === '*'
          ? [
              [`${folder}/*.ts`, 1],
              [`${folder}/*/**/*.ts`, 2],
            ]
          : [[`${folder}/${file}`, file.split('/').length]];
      return targets.map(([files, depth]) => {
        const patterns = [layer(depth)];
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
        const paths = folder === 'workflows' ? WORKFLOW_BUILTINS : [];
        return { files: [files], rules: { 'no-restricted-imports': ['error', { paths, patterns }] } };
      });
    });
  });
}

// typescript-eslint's form of the rule tells `import type` from a value import.
function typesOnly() {
  return Object.entries(TYPES_ONLY).map(([folder, modules]) => ({
    files: [`${folder}/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: modules.map((module) => ({
            regex: `^\\.\\./${escape(module)}$`,
            allowTypeImports: true,
            message: `${folder}/ may import only types from ${module} (eslint.config.js TYPES_ONLY); a value it needs moves down to core/`,
          })),
        },
      ],
    },
  }));
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
  ...typesOnly(),
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
