// The dependency direction in eslint.config.js (DESIGN.md "Components and
// layout") bites: probes that break it are errors, probes that keep it are not.
// And what the lint rule cannot see: dynamic import()s, checked by the same rule.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
// Only the import rules (ESLint's, and typescript-eslint's that tells type
// imports from value imports), and no type information: probes are not files on disk.
const IMPORT_RULES = ['no-restricted-imports', '@typescript-eslint/no-restricted-imports'];
const eslint = new ESLint({
  cwd: root,
  ruleFilter: ({ ruleId }) => IMPORT_RULES.includes(ruleId),
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
});

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

describe('dependency direction', () => {
  it.each([
    ['core/probe.ts', "import { openStore } from '../store/open-store';"],
    ['core/probe.ts', "import { parse } from 'yaml';"],
    ['core/probe.ts', "import { readFileSync } from 'node:fs';"],
    ['local/probe.ts', "import { Command } from 'commander';"],
    ['local/probe.ts', "import { openStore } from '../store/open-store';"],
    // A subfolder reaches the other folders through one more `../`, under the same rule.
    ['local/outbox/probe.ts', "import { openStore } from '../../store/open-store';"],
    ['local/outbox/probe.ts', "import * as v from 'valibot';"],
    ['store/probe.ts', "import { withFileLock } from '../local/process-lock';"],
    ['store/probe.ts', "import { skilloptHome } from '../local/home';"],
    ['agents/probe.ts', "import type { Store } from '../store/types';"],
    ['sync/probe.ts', "import { runCli } from '../cli/run-cli';"],
    // Activities send to the lanes through the messages' definitions, and nothing else of the workflows.
    ['activities/probe.ts', "import { skillWorkflow } from '../workflows/skill-workflow';"],
    ['team/probe.ts', "import { createActivities } from '../activities/create-activities';"],
    ['sync/probe.ts', "import { openStore } from '../store/open-store';"],
    ['dashboard/probe.ts', "import type { Store } from '../store/types';"],
    ['workflows/probe.ts', "import { createActivities } from '../activities/create-activities';"],
    ['workflows/probe.ts', "import { readFileSync } from 'node:fs';"],
    ['workflows/probe.ts', "import { Client } from '@temporalio/client';"],
    // Workflows take only types from activities: a value (the failure types) lives in core/.
    ['workflows/probe.ts', "import { FailureTypes } from '../activities/types';"],
    ['workflows/probe.ts', "import { FailureTypes, type JudgeResult } from '../activities/types';"],
    ['workflows/probe.ts', "export { MODEL_ACTIVITY_NAMES } from '../activities/types';"],
    ['hooks/probe.ts', "import { CliError } from '../cli/context';"],
    ['hooks/probe.ts', "import { runUp } from '../worker/up';"],
    ['hooks/probe.ts', "import { runFlusher } from '../worker/flusher';"],
    // The hooks only spool events: no workflow, activity or agent code on their path.
    ['hooks/probe.ts', "import { invokedSignal } from '../workflows/definitions';"],
    ['hooks/probe.ts', "import { createModelActivities } from '../activities/create-activities';"],
    ['hooks/probe.ts', "import { modelFromEnv } from '../agents/model-backend';"],
    // Of an agent's module, the hooks reach only what the registry exposes: never its setup (config writers).
    ['hooks/probe.ts', "import { AGENT_SETUPS } from '../agents/setups';"],
    ['hooks/probe.ts', "import { claudeHooks } from '../agents/claude/setup';"],
    // What a hook loads of agents/ uses Node built-ins only.
    ['agents/registry.ts', "import { execa } from 'execa';"],
    ['agents/codex/agent.ts', "import { parse } from 'smol-toml';"],
    ['worker/probe.ts', "import { runCli } from '../cli/run-cli';"],
    ['worker/probe.ts', "import { readHookSettings } from '../hooks/settings';"],
    ['worker/probe.ts', "import { ensureFlusher } from '../hooks/spawn';"],
    ['cli/probe.ts', "import { onPreToolUse } from '../hooks/handlers';"],
    ['cli/probe.ts', "export { createSkilloptWorker } from '../worker/worker';"],
  ])('%s: %s is an error', async (file, code) => {
    expect(await problems(file, code)).toEqual([expect.stringMatching(/^(?:@typescript-eslint\/)?no-restricted-imports: /)]);
  });

  it.each([
    ['core/probe.ts', "import { limits } from './limits';"],
    ['core/skill-document.ts', "import { parse } from 'yaml';"],
    ['core/fingerprint.ts', "import { createHash } from 'node:crypto';"],
    ['local/probe.ts', "import { homedir } from 'node:os';\nimport type { Manifest } from '../core/manifest';"],
    ['local/temporal.ts', "import { Client } from '@temporalio/client';"],
    ['local/outbox/event.ts', "import * as v from 'valibot';\nimport { messageProblem } from '../../core/messages';\nimport { outboxDir } from './files';"],
    ['local/outbox/probe.ts', "import { isProcessAlive } from '../process';\nimport type { SkillRef } from '../../core/skill-ref';"],
    ['store/probe.ts', "import type { SkillRef } from '../core/skill-ref';"],
    ['workflows/probe.ts', "import type { SkillActivities } from '../activities/types';\nimport { formatSkillRef } from '../core/skill-ref';"],
    ['workflows/probe.ts', "import { type JudgeResult } from '../activities/types';\nexport type { SkillActivities } from '../activities/types';"],
    ['workflows/probe.ts', "import { FailureTypes } from '../core/failure-types';"],
    ['activities/probe.ts', "import { failureSignal } from '../workflows/definitions';"],
    ['team/probe.ts', "import { openStore } from '../store/open-store';\nimport { decideUpdate } from '../workflows/definitions';"],
    ['hooks/probe.ts', "import { pullSkills } from '../sync/pull';\nimport { writeOutboxEvent } from '../local/outbox/files';"],
    ['hooks/probe.ts', "import { AGENTS } from '../agents/registry';\nimport type { HookPayload } from '../agents/hook-payload';"],
    ['agents/codex/trust.ts', "import { parse } from 'smol-toml';\nimport { readTextIfExists } from '../../local/fs';"],
    ['worker/probe.ts', "import { listOutbox } from '../local/outbox/files';\nimport { createModelActivities } from '../activities/create-activities';"],
    ['cli/probe.ts', "import { liveFlusherPid } from '../local/outbox/flusher-lock';"],
    ['cli/probe.ts', "import { runUp } from '../worker/up';\nimport packageJson from '../package.json';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });
});

// no-restricted-imports sees import and export declarations only.
describe('dynamic imports keep the same direction', () => {
  const FOLDERS = ['core', 'local', 'store', 'agents', 'team', 'sync', 'activities', 'workflows', 'hooks', 'worker', 'cli', 'dashboard'];
  const files = FOLDERS.flatMap((folder) =>
    readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(folder, f)),
  );
  const dynamic = files.flatMap((file) =>
    [...readFileSync(join(root, file), 'utf8').matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => [file, m[1]!] as const),
  );

  it('finds some to check', () => {
    expect(dynamic.map(([, spec]) => spec)).toEqual(expect.arrayContaining(['../worker/up', '../local/temporal']));
  });

  it.each(dynamic)('%s: import(%s)', async (file, spec) => {
    expect(await problems(file, `import '${spec}';`)).toEqual([]);
  });
});
