// The rollout with the real Claude Code CLI (against the scripted Messages
// API): bob's pushback produces a candidate; only the canary cohort's next
// session pulls it (alice: FNV-1a bucket 17 < 50; bob: 52); alice's sessions
// on the candidate pass, which promotes it; bob's next session pulls it then.
// Two users on one machine, each with their own HOME and ~/.skillopt, with
// only the Temporal settings; the worker (workflows, store, judge, propose) runs
// in this process with the default rollout policy, canary.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeCliModel } from '../../agents/claude/backend';
import { DEFAULT_CANARY_SETTINGS } from '../../core/rollout-rules';
import { workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { dailyModelCalls } from '../../local/model-calls';
import { agentTranscriptRoots } from '../../agents/registry';
import { openStore, type Store } from '../../store/open-store';
import { createSkilloptWorker } from '../../worker/worker';
import { laneStateQuery } from '../../workflows/definitions';
import { anthropicEnv, startAnthropicServer, type AnthropicServer } from '../fixtures/anthropic-server';
import { startTestServer, uniqueName, workflowBundle } from '../helpers/temporal';
import { BETTER_TESTS_LINE, BODY, PLEASED, SKILL, SKILL_NAME, WRONG, deployRules } from './deploy-skill';
import { CLAUDE_BIN, SKILLOPT_BIN, baseEnv, describeRun, makeSandbox, runClaude, stopLoopStack, until, type Sandbox } from './helpers';
import { execa } from 'execa';
import { publishPushed } from '../helpers/signed';
import { testKey } from '../helpers/keys';

const REF: SkillRef = { name: SKILL_NAME, author: 'alice' };

interface User {
  name: string;
  box: Sandbox;
  env: Record<string, string>;
}

let server: AnthropicServer;
let temporal: TestWorkflowEnvironment;
let store: Store;
let storeDir: Sandbox;
let worker: Worker;
let workerRun: Promise<void>;
let alice: User;
let bob: User;

function makeUser(name: string, taskQueue: string): User {
  const box = makeSandbox(`skillopt-rollout-${name}-`);
  const env = baseEnv({
    HOME: box.home,
    SKILLOPT_USER: name,
    SKILLOPT_DEBUG: '1',
    TEMPORAL_ADDRESS: temporal.address,
    SKILLOPT_TASK_QUEUE: taskQueue,
    // Judged by the worker in this process (it reads both users' transcript folders).
    SKILLOPT_ACTIVITY_QUEUE: taskQueue,
    SKILLOPT_FLUSHER_LINGER_MS: '1000',
    ...anthropicEnv(server.url),
  });
  return { name, box, env };
}

async function agent(who: User, prompt: string, resume?: string): Promise<string> {
  const run = await runClaude(prompt, { env: who.env, cwd: who.box.cwd, args: resume ? ['--resume', resume] : [], timeoutMs: 60_000 });
  expect(run.exitCode, describeRun(run)).toBe(0);
  return run.json!.session_id!;
}

function installedVersion(who: User): number | undefined {
  const path = join(who.box.home, '.claude', 'skills', SKILL, 'SKILL.md');
  if (!existsSync(path)) return undefined;
  return Number(/^version: (\d+)$/m.exec(readFileSync(path, 'utf8'))?.[1]);
}

/** A session whose SessionStart pulls (detached), then the wait for what it installs. */
async function pullsAtSessionStart(who: User, version: number): Promise<void> {
  await agent(who, 'hello');
  await until(`${who.name} to have v${version} installed`, () => installedVersion(who), (v) => v === version, 30_000);
}

/** One use of the skill, and the user's reaction, judged and recorded. */
async function useSkill(who: User, reaction: string): Promise<void> {
  const session = await agent(who, 'deploy the service');
  await agent(who, reaction, session);
  await until(`the verdict of ${who.name}'s session`, () => store.verdicts(REF), (vs) => vs.some((v) => v.sessionId === session), 60_000);
}

function lane() {
  return temporal.client.workflow.getHandle(workflowIdForSkill(REF)).query(laneStateQuery).catch(() => undefined);
}

beforeAll(async () => {
  server = await startAnthropicServer({ rules: deployRules() });
  storeDir = makeSandbox('skillopt-rollout-store-');
  const taskQueue = uniqueName('skillopt-rollout');
  [temporal, store] = await Promise.all([startTestServer(), openStore({ home: storeDir.root })]);
  alice = makeUser('alice', taskQueue);
  bob = makeUser('bob', taskQueue);
  const judgeHome = join(storeDir.root, 'worker-home');
  mkdirSync(judgeHome);
  worker = await createSkilloptWorker({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace ?? 'default',
    store,
    model: claudeCliModel({ bin: CLAUDE_BIN, env: baseEnv({ HOME: judgeHome, ...anthropicEnv(server.url) }) }),
    transcriptRoots: [...agentTranscriptRoots({ HOME: alice.box.home }), ...agentTranscriptRoots({ HOME: bob.box.home })],
    modelCalls: dailyModelCalls({ home: storeDir.root, cap: 100 }),
    // The default policy; two judged invocations of each version decide.
    rollout: { policy: 'canary', canary: { ...DEFAULT_CANARY_SETTINGS, minJudged: 2 } },
    taskQueue,
    workflowBundle: await workflowBundle(),
  });
  workerRun = worker.run();
  await publishPushed(store, { ...REF, body: BODY, description: 'Use when deploying services to production', contributors: ['alice'], createdBy: 'alice', baseVersion: 0 }, testKey());
  for (const who of [alice, bob]) {
    const install = await execa(process.execPath, [SKILLOPT_BIN, 'hooks', 'install'], { env: who.env, extendEnv: false, cwd: who.box.cwd, reject: false });
    expect(install.exitCode, install.stderr).toBe(0);
  }
}, 120_000);

afterAll(
  () =>
    stopLoopStack({
      skilloptHomes: [alice, bob].map((who) => who && join(who.box.home, '.skillopt')),
      worker,
      workerRun,
      store,
      temporal,
      server,
      folders: [alice?.box.root, bob?.box.root, storeDir?.root],
    }),
  60_000,
);

describe('the rollout with the real Claude Code CLI', () => {
  it("a pushback makes a candidate only the cohort's next session pulls; passing sessions on it promote it, and everyone pulls it", async () => {
    for (const who of [alice, bob]) await pullsAtSessionStart(who, 1);

    // bob (not in the cohort) pushes back: v2 is published as a candidate.
    await useSkill(bob, WRONG);
    await until('the candidate v2 on trial', lane, (s) => s?.rollout?.version === 2, 60_000);
    expect((await store.latestVersion(REF))?.state).toBe('candidate');

    // Only alice's next session pulls it; bob's keeps v1.
    await pullsAtSessionStart(alice, 2);
    await agent(bob, 'hello');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(installedVersion(bob)).toBe(1);

    // Evidence: bob is pleased with v1 once (stable 1/2); alice is pleased with v2 twice (candidate 2/2).
    await useSkill(bob, PLEASED);
    await useSkill(alice, PLEASED);
    expect((await lane())?.rollout?.reading?.action).toBe('wait');
    await useSkill(alice, PLEASED);
    await until('the promotion', lane, (s) => s !== undefined && s.rollout === undefined, 60_000);
    const promoted = (await store.transitions(REF)).find((t) => t.version === 2 && t.to === 'stable');
    expect(promoted).toMatchObject({ from: 'candidate', decidedBy: 'skillopt' });
    expect(promoted!.reason).toBe('candidate v2 2/2 passed vs stable v1 1/2: P(candidate ≥ stable) = 0.80 ≥ 0.8: promote');
    expect((await store.verdicts(REF)).filter((v) => v.skillVersion === 2).map((v) => v.user)).toEqual(['alice', 'alice']);

    // Everyone's now: bob's next session pulls it.
    await pullsAtSessionStart(bob, 2);
    expect(readFileSync(join(bob.box.home, '.claude', 'skills', SKILL, 'SKILL.md'), 'utf8')).toContain(BETTER_TESTS_LINE);

    // `skillopt report`, from bob's machine (through Temporal), explains it.
    const report = await execa(process.execPath, [SKILLOPT_BIN, 'report', SKILL], { env: bob.env, extendEnv: false, cwd: bob.box.cwd, reject: false });
    expect(report.exitCode, report.stderr).toBe(0);
    expect(report.stdout).toContain('candidate v2 2/2 passed vs stable v1 1/2: P(candidate ≥ stable) = 0.80 ≥ 0.8: promote');
    expect(report.stdout).toMatch(/^\s*v2\s+stable\b/m);
    expect(report.stdout).toMatch(/^\s*v1\s+retired\b/m);
  }, 240_000);
});
