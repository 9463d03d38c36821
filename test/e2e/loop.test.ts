// The whole loop with the real Claude Code CLI (node_modules/.bin/claude,
// 2.1.197) against the scripted Anthropic server, in a throwaway HOME:
// `skillopt push` and `skillopt hooks install` as processes, Claude Code
// running skillopt's real hooks (dist/hook.cjs, the outbox and its detached
// flusher), a real Temporal dev server, the worker with the real activities and
// a SQLite store, and the judge and proposer as real `claude -p` runs against
// the same server.
//
// What Claude Code 2.1.197 does here (checked below): it reads
// ~/.claude/skills when it starts, BEFORE the SessionStart hook runs, and keeps
// what it read for the whole session (even when the first API call comes
// seconds later). So a skill that SessionStart auto-pulls is offered from the
// NEXT session on, and the session whose SessionStart pulls version N+1 still
// injects version N when the model calls the skill.
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOOK_GATE, HOOK_GATE_NAME } from '../../agents/claude/hook-gate';
import { DEFAULT_CANARY_SETTINGS } from '../../core/rollout-rules';
import { formatSkillRef, workflowIdForInvocation, workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { listOutbox, outboxDir } from '../../local/outbox/files';
import { liveFlusherPid } from '../../local/outbox/flusher-lock';
import { agentTranscriptRoots } from '../../agents/registry';
import type { Store } from '../../store/open-store';
import { invocationStateQuery, laneStateQuery, type InvocationSummary, type LaneState } from '../../workflows/definitions';
import { match, startAnthropicServer, type AnthropicServer, type RecordedRequest, type Rule } from '../fixtures/anthropic-server';
import { BEST_TESTS_LINE, BETTER_TESTS_LINE, BODY, FAILURE_REASON, PLEASED, ROLLBACK, ROLLBACK_PATH, SKILL, SKILL_NAME, SMOKE_SCRIPT, TESTS_LINE, WRONG, deployRules } from './deploy-skill';
import {
  REPO,
  SKILLOPT_BIN,
  baseEnv,
  describeRun,
  makeSandbox,
  onlyToolUseId,
  runClaude,
  scriptedClaudeModel,
  startLoopStack,
  stopLoopStack,
  until,
  userEnvOn,
  writeSkillDir,
  type ClaudeRun,
  type Sandbox,
} from './helpers';
import { freePort } from '../helpers/wait';

const REF: SkillRef = { name: SKILL_NAME, author: 'alice' };
const LOCAL_SKILL = 'local-thing--bob';
const WALLTIME_RUNS = 4;

const RULES: Rule[] = deployRules([
  {
    name: 'call-local-skill',
    match: match.all(match.prompt('tidy up the repo'), match.noToolResult),
    reply: { toolUse: { name: 'Skill', input: { skill: LOCAL_SKILL } } },
  },
  {
    // The user typed `/deploy-checklist--alice`: Claude Code sends the command and the skill's body, no Skill call.
    name: 'typed-skill',
    match: match.all(match.lastUserIncludes(`<command-name>/${SKILL}</command-name>`), match.noToolResult),
    reply: { text: 'Deployed.' },
  },
]);

// ---------------------------------------------------------------- the set-up

let server: AnthropicServer;
let box: Sandbox;
let skilloptHome: string;
let temporal: TestWorkflowEnvironment;
let store: Store;
let worker: Worker;
let workerRun: Promise<void>;
/** What Claude Code (and so every hook and the flusher) runs with. */
let agentEnv: Record<string, string>;

function skilloptCli(args: string[], env: Record<string, string>) {
  return execa(process.execPath, [SKILLOPT_BIN, ...args], { env, extendEnv: false, cwd: box.cwd, reject: false, timeout: 30_000 });
}

/** The installed SKILL.md, or "" while the detached pull has not written it yet. */
function installedSkillIfAny(): string {
  return existsSync(join(box.home, '.claude', 'skills', SKILL, 'SKILL.md')) ? installedSkill() : '';
}

function installedSkill(home = box.home, dir = SKILL): string {
  return readFileSync(join(home, '.claude', 'skills', dir, 'SKILL.md'), 'utf8');
}

function hooksLog(): string {
  const path = join(skilloptHome, 'hooks.log');
  return existsSync(path) ? readFileSync(path, 'utf8') : '(no hooks.log)';
}

/** until(), with the hooks' log in the error: what a failed wait most needs. */
async function waitFor<T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  try {
    return await until(what, fn, ok, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- hooks.log (tail) ---\n${hooksLog().slice(-4000)}`);
  }
}

async function agent(prompt: string, options: { resume?: string; env?: Record<string, string> } = {}): Promise<ClaudeRun & { sessionId: string }> {
  const run = await runClaude(prompt, { env: options.env ?? agentEnv, cwd: box.cwd, args: options.resume ? ['--resume', options.resume] : [] });
  expect(run.exitCode, describeRun(run)).toBe(0);
  expect(run.json?.is_error, describeRun(run)).toBe(false);
  const sessionId = run.json?.session_id;
  expect(sessionId, describeRun(run)).toBeTypeOf('string');
  return { ...run, sessionId: sessionId! };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function skillHandle(ref: SkillRef = REF) {
  return temporal.client.workflow.getHandle(workflowIdForSkill(ref));
}

/** The skill's lane, once a failure has started it. */
function lane(): Promise<LaneState | undefined> {
  return skillHandle().query(laneStateQuery).catch(() => undefined);
}

function invocationHandle(sessionId: string) {
  return temporal.client.workflow.getHandle(workflowIdForInvocation(REF, sessionId, skillToolUseId(sessionId)));
}

/** The invocation workflow of a session's Skill call, once the flusher started it. */
function invocation(sessionId: string): Promise<InvocationSummary | undefined> {
  return invocationHandle(sessionId).query(invocationStateQuery).catch(() => undefined);
}

/** What the Temporal UI lists for `WorkflowType="invocationWorkflow" AND SkillRef=… AND Verdict=…`. */
async function invocationsWithVerdict(verdict: string): Promise<string[]> {
  const ids: string[] = [];
  const query = `WorkflowType = "invocationWorkflow" AND SkillRef = "${formatSkillRef(REF)}" AND Verdict = "${verdict}"`;
  for await (const wf of temporal.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids.sort();
}

function skillToolUseId(sessionId: string): string {
  return onlyToolUseId(server, sessionId);
}

/** The request that followed a session's Skill call: its last user message holds the tool_result and the injected body. */
function afterSkillRequest(sessionId: string): RecordedRequest {
  const request = server.sessionRequests(sessionId).find((r) => r.messages?.lastHasToolResult);
  expect(request, `no request with a tool_result in session ${sessionId}`).toBeDefined();
  return request!;
}


beforeAll(async () => {
  server = await startAnthropicServer({ rules: RULES });
  box = makeSandbox('skillopt-loop-');
  skilloptHome = join(box.root, 'skillopt');
  // The judge and the proposer: real `claude -p` runs against the same scripted server (the worker's own HOME).
  // The sessions run with HOME=box.home: their transcripts are under box.home/.claude/projects.
  // Every improvement is everyone's version at once (the original's behavior): this test is the loop itself;
  // candidates and their canary are test/integration/improvement-loop.test.ts's.
  const stack = await startLoopStack({
    skilloptHome,
    queue: 'skillopt-e2e',
    model: scriptedClaudeModel(server.url, join(box.root, 'worker-home')),
    transcriptRoots: agentTranscriptRoots({ HOME: box.home }),
    rollout: { policy: 'direct', canary: DEFAULT_CANARY_SETTINGS },
  });
  ({ temporal, store, worker, workerRun } = stack);
  agentEnv = userEnvOn(stack, { home: box.home, skilloptHome, name: 'bob', modelUrl: server.url }, {
    SKILLOPT_DEBUG: '1',
    SKILLOPT_FLUSHER_LINGER_MS: '1000',
  });

  // alice publishes the skill; bob installs the hooks.
  const source = join(box.root, 'src', 'deploy-checklist');
  writeSkillDir(source, 'deploy-checklist', 'Use when deploying services to production', BODY);
  mkdirSync(join(source, 'references'), { recursive: true });
  mkdirSync(join(source, 'scripts'), { recursive: true });
  writeFileSync(join(source, ROLLBACK_PATH), ROLLBACK);
  writeFileSync(join(source, 'scripts', 'smoke.sh'), SMOKE_SCRIPT, { mode: 0o755 });
  const push = await skilloptCli(['push', source, '--author', 'alice'], baseEnv({ HOME: join(box.root, 'alice'), SKILLOPT_HOME: skilloptHome, SKILLOPT_USER: 'alice' }));
  expect(push.exitCode, `${push.stdout}\n${push.stderr}`).toBe(0);
  const install = await skilloptCli(['hooks', 'install'], agentEnv);
  expect(install.exitCode, `${install.stdout}\n${install.stderr}`).toBe(0);
}, 120_000);

afterAll(() => stopLoopStack({ skilloptHomes: [skilloptHome], worker, workerRun, store, temporal, server, folders: [box?.root] }), 60_000);

// ---------------------------------------------------------------- the loop

describe('the loop with the real Claude Code CLI', () => {
  it('installs the five hooks into $HOME/.claude/settings.json', () => {
    const settings = JSON.parse(readFileSync(join(box.home, '.claude', 'settings.json'), 'utf8')) as {
      hooks: Record<string, Array<{ matcher?: string; hooks: Array<{ command: string; args?: string[]; asyncRewake?: boolean }> }>>;
    };
    for (const event of ['SessionStart', 'PreToolUse', 'UserPromptExpansion', 'UserPromptSubmit', 'SessionEnd']) {
      const hook = settings.hooks[event]?.[0]?.hooks[0];
      // The exec form (no shell parses the paths); the interactive Claude Code does not wait for the hooks on
      // every skill call and prompt (`claude -p`, as here, does: it would kill them when it ends), and those run
      // behind the gate, which starts Node only when there is work (agents/claude/hook-gate.ts).
      const async = event === 'PreToolUse' || event === 'UserPromptSubmit';
      const entry = [join(REPO, 'dist', 'hook.cjs'), 'hook', event];
      expect(hook).toMatchObject(async ? { command: '/bin/sh', args: ['-c', HOOK_GATE, HOOK_GATE_NAME, event, 'node', ...entry] } : { command: 'node', args: entry });
      expect(hook?.asyncRewake ?? false).toBe(async);
    }
    expect(settings.hooks.PreToolUse?.[0]?.matcher).toBe('Skill');
    expect(settings.hooks.UserPromptExpansion?.[0]?.matcher).toBe('^[a-z0-9][a-z0-9-]*--.+$');
  });

  let failedSession = '';

  it('a failed task publishes version 2, and the next SessionStart pulls it', async () => {
    // Session 0: SessionStart auto-pulls v1. Claude Code listed its skills before the hook ran:
    // the new skill is not offered in this session yet.
    const first = await agent('hello');
    expect(first.json?.result).toBe('Hi.');
    // The pull runs detached from the hook: v1 lands within moments, before the next session.
    await waitFor('v1 to be pulled', () => installedSkillIfAny(), (t) => /^version: 1$/m.test(t));
    expect(server.sessionRequests(first.sessionId)[0]?.messages?.allText).not.toContain(`- ${SKILL}:`);

    // Session 1: the model calls the Skill tool; Claude Code injects v1; PreToolUse arms a window.
    const session = await agent('deploy the service');
    failedSession = session.sessionId;
    expect(session.json?.result).toBe('Deployed.');
    const injected = afterSkillRequest(session.sessionId).messages!;
    expect(JSON.stringify(injected.toolResults)).toContain(`Launching skill: ${SKILL}`);
    expect(injected.lastUserText).toContain(BODY);
    const toolUseId = skillToolUseId(session.sessionId);
    // Its own workflow; `claude -p` ended the session, and the window waits for a resume.
    const armed = await waitFor('the invocation workflow to open its window', () => invocation(session.sessionId), (s) => s !== undefined && s.phase !== 'closed');
    expect(armed).toMatchObject({ toolUseId, user: 'bob', skillVersion: 1, verdict: 'pending', remaining: 3 });

    // The user pushes back in the same session: UserPromptSubmit sends the reaction.
    const reaction = await agent(WRONG, { resume: session.sessionId });
    expect(reaction.sessionId).toBe(session.sessionId);
    expect(reaction.json?.result).toBe('Sorry: running the tests now.');

    // Judge (failure) → proposer (one replace) → version 2 in the store.
    await waitFor('version 2 in the store', () => store.latestVersion(REF), (v) => v?.version === 2, 60_000);
    const after = await waitFor('the improvement to finish', lane, (s) => s?.counters.improvementsPublished === 1 && !s.improving);
    expect(after!.counters).toMatchObject({ failureReports: 1, duplicateReports: 0, proposals: 1 });
    const judged = (await invocationHandle(session.sessionId).result()) as InvocationSummary;
    expect(judged).toMatchObject({ verdict: 'failed', failureReported: true, phase: 'closed', closedReason: 'failure reported' });
    expect(judged.counters).toMatchObject({ reactions: 1, duplicateEvents: 0 });
    // In the Temporal UI: this skill's failed invocations are exactly this one.
    const failedIds = await waitFor('visibility to list the failed invocation', () => invocationsWithVerdict('failed'), (ids) => ids.length > 0);
    expect(failedIds).toEqual([invocationHandle(session.sessionId).workflowId]);
    const v2 = await store.latestVersion(REF);
    expect(v2?.body).toContain(BETTER_TESTS_LINE);
    expect(v2?.body).not.toContain(TESTS_LINE);
    expect(v2?.contributors).toEqual(['alice', 'skillopt']);
    // Checked before anyone got it, through `claude -p` on this machine: the failure addressed.
    expect(v2?.precheck).toMatchObject({ decision: 'go-on', addressed: 1, failures: 1, worse: 0, unanswered: 0 });
    expect(await store.verdicts(REF)).toEqual([
      expect.objectContaining({ outcome: 'failed', skillVersion: 1, sessionId: session.sessionId, toolUseId, user: 'bob', agent: 'claude_code', reason: FAILURE_REASON }),
    ]);

    // The judge and the proposer ran as `claude -p` with no tools, on what the session really said.
    const judge = server.messageRequests().filter((r) => r.rule === 'judge');
    expect(judge).toHaveLength(1);
    expect(judge[0]!.messages!.tools).toEqual([]);
    expect(judge[0]!.messages!.lastUserText).toContain(WRONG);
    expect(judge[0]!.messages!.lastUserText).toContain('Deployed.');
    const proposer = server.messageRequests().filter((r) => r.rule === 'proposer');
    expect(proposer).toHaveLength(1);
    expect(proposer[0]!.messages!.tools).toEqual([]);
    expect(proposer[0]!.messages!.lastUserText).toContain(TESTS_LINE);
    expect(proposer[0]!.messages!.lastUserText).toContain(FAILURE_REASON);
    // The proposer sees the folder: its files, and the reference SKILL.md links to; the candidate keeps every file.
    expect(proposer[0]!.messages!.lastUserText).toContain('- scripts/smoke.sh');
    expect(proposer[0]!.messages!.lastUserText).toContain(`LINKED FILE ${ROLLBACK_PATH}`);
    expect(v2?.files).toEqual((await store.getVersion(REF, 1))?.files);
    expect(v2?.files.map((f) => f.path)).toEqual([ROLLBACK_PATH, 'scripts/smoke.sh']);

    // Session 2: SessionStart pulls v2 into the skill's folder…
    const next = await agent('deploy the service');
    const installed = await waitFor('v2 to be pulled', () => installedSkillIfAny(), (t) => /^version: 2$/m.test(t));
    expect(installed).toContain(BETTER_TESTS_LINE);
    expect(installed).not.toContain(TESTS_LINE);
    const folder = join(box.home, '.claude', 'skills', SKILL);
    expect(readFileSync(join(folder, ROLLBACK_PATH), 'utf8')).toBe(ROLLBACK);
    expect(statSync(join(folder, 'scripts', 'smoke.sh')).mode & 0o777).toBe(0o755);
    // …but Claude Code had read the folder before the hook ran: this session still injects v1.
    const stale = afterSkillRequest(next.sessionId).messages!.lastUserText;
    expect(stale).toContain(TESTS_LINE);
    expect(stale).not.toContain(BETTER_TESTS_LINE);
    expect(server.unmatched()).toEqual([]);
  }, 110_000);

  it('a pleased reaction publishes nothing; the session that had v2 in context marks its edit applied', async () => {
    expect(failedSession, 'needs the previous test').not.toBe('');
    const session = await agent('deploy the service');
    // v2 was on disk before this session started: Claude Code injects v2.
    expect(afterSkillRequest(session.sessionId).messages!.lastUserText).toContain(BETTER_TESTS_LINE);
    await waitFor('the invocation workflow to open its window', () => invocation(session.sessionId), (s) => s !== undefined && s.phase !== 'closed');
    await agent(PLEASED, { resume: session.sessionId });

    await waitFor('the verdict', () => store.verdicts(REF), (vs) => vs.some((v) => v.sessionId === session.sessionId));
    const judged = await waitFor('the judgment to settle', () => invocation(session.sessionId), (s) => s?.verdicts.length === 1 && s.queued === 0);
    expect(judged).toMatchObject({ verdict: 'passed', skillVersion: 2, failureReported: false });
    expect((await lane())?.counters.improvementsPublished).toBe(1);
    expect((await store.latestVersion(REF))?.version).toBe(2);
    expect((await store.verdicts(REF)).filter((v) => v.sessionId === session.sessionId)).toEqual([
      expect.objectContaining({ outcome: 'passed', skillVersion: 2 }),
    ]);
    await waitFor('the edit outcome', () => store.recentEdits(REF, 5), (edits) => edits[0]?.status === 'applied');
    expect(server.messageRequests().filter((r) => r.rule === 'proposer')).toHaveLength(1);
  }, 60_000);

  it('a local skill the user made (not pulled) is never armed: no outbox event, no workflow', async () => {
    const localDir = join(box.home, '.claude', 'skills', LOCAL_SKILL);
    const localFile = writeSkillDir(localDir, LOCAL_SKILL, 'Use when tidying up a repository', '# Tidy\n\nDelete build outputs.\n');
    const localText = readFileSync(localFile, 'utf8');
    // With the flusher off, every event a hook writes stays in the outbox, where the test can see it.
    const spoolOnly = { ...agentEnv, SKILLOPT_FLUSHER: '0' };
    await waitFor('an empty outbox', () => listOutbox(skilloptHome), (names) => names.length === 0);

    const session = await agent('tidy up the repo', { env: spoolOnly });
    // Claude Code did run the skill…
    const injected = afterSkillRequest(session.sessionId).messages!;
    expect(JSON.stringify(injected.toolResults)).toContain(`Launching skill: ${LOCAL_SKILL}`);
    expect(injected.lastUserText).toContain('Delete build outputs.');
    await agent(WRONG, { resume: session.sessionId, env: spoolOnly });

    // …but skillopt neither armed it nor sent the reaction.
    expect(listOutbox(skilloptHome)).toEqual([]);
    await expect(skillHandle({ name: 'local-thing', author: 'bob' }).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    const localInvocations = await temporal.client.workflow.count(`WorkflowType = "invocationWorkflow" AND SkillRef = "${LOCAL_SKILL}"`);
    expect(localInvocations.count).toBe(0);
    expect(hooksLog()).toMatch(/PreToolUse: not-org-skill/);
    // Pull left the user's folder alone.
    expect(readFileSync(localFile, 'utf8')).toBe(localText);
  }, 60_000);

  it('an event spooled while Temporal is unreachable is delivered once by a later hook run', async () => {
    // A flusher still lingering from earlier sessions (connected to the real server) would deliver this session's events.
    await waitFor('earlier flushers to exit', () => liveFlusherPid(skilloptHome), (pid) => pid === undefined, 20_000);
    const verdictsBefore = (await store.verdicts(REF)).length;
    // Temporal "stopped" for this session: the hooks and their flusher point at a closed port, and the flusher gives up fast.
    const down = { ...agentEnv, TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`, SKILLOPT_FLUSHER_RETRY_MS: '1000' };

    const session = await agent('deploy the service', { env: down });
    expect(session.json?.result).toBe('Deployed.');
    const reaction = await agent(PLEASED, { resume: session.sessionId, env: down });
    expect(reaction.json?.result).toBe("You're welcome.");

    // The flusher gave up; both events (invoked, reaction) wait in the outbox; the workflow has seen neither.
    // Every flusher those hooks started (the last one by SessionEnd, moments before claude exited) has given up:
    // no flusher for 2 s in a row, so none pointed at the closed port can hold the lock when Temporal is back.
    const noFlusherFor2s = async () => liveFlusherPid(skilloptHome) === undefined && (await sleep(2_000), liveFlusherPid(skilloptHome) === undefined);
    await waitFor('the failing flushers to give up', noFlusherFor2s, (gone) => gone, 30_000);
    const spooled = listOutbox(skilloptHome).map((name) => JSON.parse(readFileSync(join(outboxDir(skilloptHome), name), 'utf8')) as { signal: string; payload: { eventId: string; sessionId: string } });
    // `claude -p` ends the session after each prompt: each SessionEnd tells the invocation too.
    expect(spooled.map((e) => [e.signal, e.payload.sessionId])).toEqual([
      ['invoked', session.sessionId],
      ['sessionEnded', undefined],
      ['reaction', session.sessionId],
      ['sessionEnded', undefined],
    ]);
    expect(await invocation(session.sessionId)).toBeUndefined();

    // Temporal is back: the next session's SessionStart starts a flusher for what is spooled.
    await agent('hello');
    await waitFor('the outbox to drain', () => listOutbox(skilloptHome), (names) => names.length === 0, 30_000);
    const after = await waitFor('the judgment of the late events', () => invocation(session.sessionId), (s) => s?.verdicts.length === 1 && s.queued === 0);
    expect(after!.counters).toMatchObject({ reactions: 1, duplicateEvents: 0 });
    expect(after!.verdict).toBe('passed');
    const verdicts = await waitFor('its verdict', () => store.verdicts(REF), (vs) => vs.length === verdictsBefore + 1);
    const late = verdicts.filter((v) => v.sessionId === session.sessionId);
    expect(late).toHaveLength(1);
    expect(spooled.map((e) => e.payload.eventId)).toContain(late[0]!.eventId);
    expect((await store.latestVersion(REF))?.version).toBe(2);
  }, 60_000);

  it('measures the agent wall time with the hooks installed and without', async () => {
    // The same skill session in a HOME without hooks (the same SKILL.md installed by hand).
    const bareHome = join(box.root, 'bare-home');
    mkdirSync(join(bareHome, '.claude', 'skills', SKILL), { recursive: true });
    copyFileSync(join(box.home, '.claude', 'skills', SKILL, 'SKILL.md'), join(bareHome, '.claude', 'skills', SKILL, 'SKILL.md'));
    const bare = { ...agentEnv, HOME: bareHome };
    // Settle first: no detached flusher or judgment competing for the CPU.
    await waitFor('flushers to exit', () => liveFlusherPid(skilloptHome), (pid) => pid === undefined, 20_000);

    const withHooks: number[] = [];
    const withoutHooks: number[] = [];
    for (let i = 0; i < WALLTIME_RUNS; i++) {
      // Interleaved, so drift in machine load hits both sides alike.
      const hooked = await agent('deploy the service');
      expect(hooked.json?.result).toBe('Deployed.');
      withHooks.push(hooked.ms);
      const plain = await agent('deploy the service', { env: bare });
      expect(plain.json?.result).toBe('Deployed.');
      withoutHooks.push(plain.ms);
    }
    const median = (xs: number[]): number => {
      const s = [...xs].sort((a, b) => a - b);
      const mid = Math.floor(s.length / 2);
      return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
    };
    const round = (x: number): number => Math.round(x);
    const result = {
      what: 'wall time of `claude -p "deploy the service"` (real Claude Code, scripted API; the model calls the Skill tool): skillopt hooks installed vs none',
      claudeCode: (await execa(join(REPO, 'node_modules', '.bin', 'claude'), ['--version'], { reject: false })).stdout.trim(),
      node: process.version,
      runs: WALLTIME_RUNS,
      withHooksMs: withHooks.map(round),
      withoutHooksMs: withoutHooks.map(round),
      medianWithHooksMs: round(median(withHooks)),
      medianWithoutHooksMs: round(median(withoutHooks)),
      overheadMs: round(median(withHooks) - median(withoutHooks)),
      measuredAt: new Date().toISOString(),
    };
    const summary =
      `e2e wall time (claude -p with a Skill call, n=${WALLTIME_RUNS}): with hooks median ${result.medianWithHooksMs} ms, ` +
      `without ${result.medianWithoutHooksMs} ms, overhead ${result.overheadMs} ms`;
    console.log(summary);
    // Recorded on request (SKILLOPT_RECORD_RESULTS=1), so a plain test run leaves the checkout clean.
    if (process.env.SKILLOPT_RECORD_RESULTS === '1') {
      mkdirSync(join(REPO, 'bench', 'results'), { recursive: true });
      writeFileSync(join(REPO, 'bench', 'results', 'e2e-walltime.json'), `${JSON.stringify({ ...result, summary }, null, 2)}\n`);
    }
    // Only a sanity bound: a hook that stalls until a watchdog (4 s and more) would show here.
    expect(result.overheadMs).toBeLessThan(4_000);
  }, 90_000);

  it('a skill the user invokes by name (/deploy-checklist--alice: no Skill call) arms, and the pushback publishes version 3', async () => {
    const session = await agent(`/${SKILL}`);
    expect(session.json?.result).toBe('Deployed.');
    // Claude Code expanded the skill into the prompt (version 2, on disk since earlier sessions); the model called no tool.
    const requests = server.sessionRequests(session.sessionId);
    expect(requests.map((r) => r.rule)).toEqual(['typed-skill']);
    expect(requests[0]!.messages!.lastUserText).toContain(BETTER_TESTS_LINE);
    // The UserPromptExpansion hook armed it, named by the prompt's id (the command entry's promptId in the transcript).
    const transcript = readFileSync(join(box.home, '.claude', 'projects', box.cwd.replace(/[^A-Za-z0-9]/g, '-'), `${session.sessionId}.jsonl`), 'utf8');
    const command = transcript
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { promptId?: string; message?: { content?: unknown } })
      .find((e) => JSON.stringify(e.message?.content ?? '').includes(`<command-name>/${SKILL}</command-name>`));
    const promptId = command?.promptId;
    expect(promptId).toBeTypeOf('string');
    const handle = temporal.client.workflow.getHandle(workflowIdForInvocation(REF, session.sessionId, promptId!));
    const armed = await waitFor('the typed skill to open its window', () => handle.query(invocationStateQuery).catch(() => undefined), (s) => s !== undefined && s.phase !== 'closed');
    expect(armed).toMatchObject({ toolUseId: promptId, user: 'bob', skillVersion: 2, verdict: 'pending', remaining: 3 });
    expect(hooksLog()).toMatch(/UserPromptExpansion: armed/);

    // The pushback, in the resumed session: the one reaction (the prompt that typed the skill was none).
    const reaction = await agent(WRONG, { resume: session.sessionId });
    expect(reaction.json?.result).toBe('Sorry: running the tests now.');
    await waitFor('version 3 in the store', () => store.latestVersion(REF), (v) => v?.version === 3, 60_000);
    const judged = (await handle.result()) as InvocationSummary;
    expect(judged).toMatchObject({ verdict: 'failed', failureReported: true, skillVersion: 2 });
    expect(judged.counters).toMatchObject({ reactions: 1, duplicateEvents: 0 });
    // The judge saw the invocation the user typed, then the answer and the pushback.
    const judge = server.messageRequests().filter((r) => r.rule === 'judge' && r.messages!.lastUserText.includes(`USER [tool Skill]: ${SKILL}`));
    expect(judge).toHaveLength(1);
    expect(judge[0]!.messages!.lastUserText).toMatch(new RegExp(`USER \\[tool Skill\\]: ${SKILL}\\s+ASSISTANT: Deployed\\.\\s+USER: ${WRONG}`));
    const v3 = await store.latestVersion(REF);
    expect(v3?.body).toContain(BEST_TESTS_LINE);
    expect(v3?.body).not.toContain(BETTER_TESTS_LINE);
    expect((await store.verdicts(REF)).filter((v) => v.sessionId === session.sessionId)).toEqual([
      expect.objectContaining({ outcome: 'failed', skillVersion: 2, toolUseId: promptId, agent: 'claude_code', reason: FAILURE_REASON }),
    ]);
    expect(server.unmatched()).toEqual([]);
  }, 90_000);

  it('the hooks stay invisible to the agent: no hook entry in any transcript, no hook text sent to the model', () => {
    // Every session above ran every hook. Claude Code records a hook that printed, failed or
    // timed out as an attachment (hooks reference §4-5), and sends SessionStart/UserPromptSubmit output to the model.
    const projects = join(box.home, '.claude', 'projects');
    const transcripts = readdirSync(projects, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jsonl'));
    expect(transcripts.length).toBeGreaterThanOrEqual(8);
    const attachmentTypes = new Set<string>();
    const hookEntries: string[] = [];
    for (const file of transcripts) {
      for (const line of readFileSync(join(projects, file), 'utf8').split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { type?: string; attachment?: { type?: string }; content?: unknown };
        const type = entry.attachment?.type;
        if (type) attachmentTypes.add(type);
        if (type?.startsWith('hook_') || line.includes('"hookName"') || line.includes('dist/hook.cjs')) hookEntries.push(line.slice(0, 300));
      }
    }
    // The attachments were read (the skill listing is one): their absence is not a parsing accident.
    expect(attachmentTypes).toContain('skill_listing');
    expect(hookEntries).toEqual([]);

    const agentRequests = server.messageRequests().filter((r) => r.rule !== 'judge' && r.rule !== 'proposer' && r.rule !== 'check');
    expect(agentRequests.length).toBeGreaterThanOrEqual(8);
    // How Claude Code words hook output for the model (reference §4), our command, our log lines.
    // (Plain "hook" is not enough: Claude Code's own skill listing mentions "hook troubleshooting".)
    const hookText = /\b(?:SessionStart|UserPromptSubmit|UserPromptExpansion|PreToolUse|PostToolUse|SessionEnd|Stop)(?::\S+)? hook (?:additional context|success|feedback|error|blocking error)|blocked by hook|hook\.cjs|\[(?:SessionStart|PreToolUse|UserPromptExpansion|UserPromptSubmit|SessionEnd|flusher) \d+\]/i;
    const found = server
      .messageRequests()
      .map((r) => r.messages?.allText ?? '')
      .map((text) => hookText.exec(text))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => m.input.slice(Math.max(0, m.index - 150), m.index + 150));
    expect(found).toEqual([]);
  });
});
