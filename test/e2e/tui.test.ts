// The loop as a user lives it: the interactive Claude Code TUI (the pinned
// CLI in tmux, test/e2e/tui.ts) with skillopt's hooks installed, against the
// scripted model server, a real Temporal dev server, the skillopt worker on a
// SQLite store with the default rollout (canary), its judge and proposer real
// `claude -p` runs. One session where the model calls a skill and the user
// pushes back; one where the user invokes a skill by name
// (`/<name>--<author>`) and pushes back. Each publishes a candidate; nothing
// of skillopt is on screen at any moment; `/exit` closes the window.
//
// What the screen check can see (2.1.197, checked by hand): a hook that fails
// or prints shows its event's name ("UserPromptSubmit hook error"; a failing
// hook added next to skillopt's made this test fail); a hook Claude Code waits
// for shows only its spinner ("Computing…"), so the time it costs is
// bench/tui.ts's to measure, not this test's.
import { execa } from 'execa';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CANARY_SETTINGS } from '../../core/rollout-rules';
import { workflowIdForInvocation, type SkillRef } from '../../core/skill-ref';
import { agentTranscriptRoots } from '../../agents/registry';
import type { Store } from '../../store/open-store';
import { invocationStateQuery, type InvocationSummary } from '../../workflows/definitions';
import { match, startAnthropicServer, type AnthropicServer } from '../fixtures/anthropic-server';
import { BETTER_TESTS_LINE, BODY, WRONG, deployRules } from './deploy-skill';
import { SKILLOPT_BIN, baseEnv, makeSandbox, onlyToolUseId, scriptedClaudeModel, startLoopStack, stopLoopStack, until, userEnvOn, writeSkillDir, type Sandbox } from './helpers';
import { Tui, acceptFirstRun } from './tui';

const MODEL_CALLED: SkillRef = { name: 'deploy-checklist', author: 'alice' };
/** A second skill (its own lane), the one the user types by name: both candidates publish side by side. */
const TYPED: SkillRef = { name: 'release-checklist', author: 'alice' };
const TYPED_DIR = 'release-checklist--alice';

/**
 * What skillopt would look like on screen: Claude Code's hook status lines and messages ("running PreToolUse
 * hook", "UserPromptSubmit hook error", "hook_success"…), skillopt's name, its hook entry, its log lines.
 */
const SKILLOPT_ON_SCREEN = /\b(?:SessionStart|UserPromptSubmit|UserPromptExpansion|PreToolUse|SessionEnd)\b|\bhooks?\b|skillopt|hook\.cjs|flusher|outbox/i;

let server: AnthropicServer;
let box: Sandbox;
let skilloptHome: string;
let temporal: TestWorkflowEnvironment;
let store: Store;
let worker: Worker;
let workerRun: Promise<void>;
let agentEnv: Record<string, string>;
const tuis: Tui[] = [];

function skilloptCli(args: string[], env: Record<string, string>) {
  return execa(process.execPath, [SKILLOPT_BIN, ...args], { env, extendEnv: false, cwd: box.cwd, reject: false, timeout: 60_000 });
}

function hooksLog(): string {
  const path = join(skilloptHome, 'hooks.log');
  return existsSync(path) ? readFileSync(path, 'utf8') : '(no hooks.log)';
}

async function waitFor<T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  try {
    return await until(what, fn, ok, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- hooks.log (tail) ---\n${hooksLog().slice(-4000)}`);
  }
}

/** The one session id in the transcripts folder that is new since `known`. */
function newSessionId(known: Set<string>): string | undefined {
  const dir = join(box.home, '.claude', 'projects', box.cwd.replace(/[^A-Za-z0-9]/g, '-'));
  if (!existsSync(dir)) return undefined;
  const ids = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -6)).filter((id) => !known.has(id));
  return ids.length === 1 ? ids[0] : undefined;
}

async function invocationState(ref: SkillRef, sessionId: string, toolUseId: string): Promise<InvocationSummary | undefined> {
  return temporal.client.workflow
    .getHandle(workflowIdForInvocation(ref, sessionId, toolUseId))
    .query(invocationStateQuery)
    .catch(() => undefined);
}

/** Every screen read and everything written to the terminal: nothing of skillopt, ever. */
function expectNothingOfSkillopt(tui: Tui): void {
  expect(tui.frames.length).toBeGreaterThan(5);
  for (const frame of tui.frames) expect(SKILLOPT_ON_SCREEN.exec(frame)?.[0], frame).toBeUndefined();
  const output = tui.output();
  expect(output).toContain('Deployed');
  expect(SKILLOPT_ON_SCREEN.exec(output)?.[0], output.slice(-2000)).toBeUndefined();
}

beforeAll(async () => {
  server = await startAnthropicServer({
    rules: deployRules([
      {
        // The user typed `/release-checklist--alice`: Claude Code sends the command and the skill's body, no Skill call.
        name: 'typed-skill',
        match: match.all(match.lastUserIncludes(`<command-name>/${TYPED_DIR}</command-name>`), match.noToolResult),
        reply: { text: 'Deployed the release.' },
      },
      // Claude Code's own side requests in the TUI (session titles and the like).
      { name: 'side', match: (req) => !req.tools.includes('Skill'), reply: { text: 'ok' } },
    ]),
  });
  // No "skillopt" in the paths the TUI shows (its header names the project folder).
  box = makeSandbox('agent-tui-');
  skilloptHome = join(box.root, 'skillopt');
  const stack = await startLoopStack({
    skilloptHome,
    queue: 'skillopt-tui',
    model: scriptedClaudeModel(server.url, join(box.root, 'worker-home')),
    transcriptRoots: agentTranscriptRoots({ HOME: box.home }),
    // The default: an improvement is published as a candidate.
    rollout: { policy: 'canary', canary: DEFAULT_CANARY_SETTINGS },
  });
  ({ temporal, store, worker, workerRun } = stack);
  agentEnv = userEnvOn(stack, { home: box.home, skilloptHome, name: 'bob', modelUrl: server.url }, { SKILLOPT_DEBUG: '1', SKILLOPT_FLUSHER_LINGER_MS: '1000' });
  // alice publishes both skills; bob pulls them and installs the hooks, and has used Claude Code before.
  const alice = baseEnv({ HOME: join(box.root, 'alice'), SKILLOPT_HOME: skilloptHome, SKILLOPT_USER: 'alice' });
  for (const [name, description] of [
    ['deploy-checklist', 'Use when deploying services to production'],
    ['release-checklist', 'Use when cutting a release'],
  ] as const) {
    const source = join(box.root, 'src', name);
    writeSkillDir(source, name, description, BODY);
    const push = await skilloptCli(['push', source, '--author', 'alice'], alice);
    expect(push.exitCode, `${push.stdout}\n${push.stderr}`).toBe(0);
  }
  for (const args of [['pull'], ['hooks', 'install']]) {
    const run = await skilloptCli(args, agentEnv);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  }
  acceptFirstRun(box.home, box.cwd, agentEnv.ANTHROPIC_API_KEY!);
}, 180_000);

afterAll(async () => {
  for (const tui of tuis) tui.kill();
  await stopLoopStack({ skilloptHomes: [skilloptHome], worker, workerRun, store, temporal, server, folders: [box?.root] });
}, 60_000);

describe('the interactive Claude Code (TUI) with skillopt installed', () => {
  const known = new Set<string>();

  it('the model calls a skill, the user pushes back: a candidate is published; /exit closes the window; nothing of skillopt on screen', async () => {
    const tui = await Tui.start('model-called', { env: agentEnv, cwd: box.cwd, logDir: join(box.root, 'tui') });
    tuis.push(tui);
    await tui.ask('deploy the service', 'Deployed.');
    const sessionId = await waitFor('the session transcript', () => newSessionId(known), (id) => id !== undefined);
    known.add(sessionId!);
    const toolUseId = onlyToolUseId(server, sessionId!);
    await waitFor('the invocation workflow', () => invocationState(MODEL_CALLED, sessionId!, toolUseId), (s) => s !== undefined);
    await tui.ask(WRONG, 'Sorry: running the tests now.');
    await waitFor('the candidate v2', () => store.latestVersion(MODEL_CALLED), (v) => v?.version === 2, 120_000);
    const v2 = await store.latestVersion(MODEL_CALLED);
    expect(v2).toMatchObject({ state: 'candidate' });
    expect(v2?.body).toContain(BETTER_TESTS_LINE);
    expect(await invocationState(MODEL_CALLED, sessionId!, toolUseId)).toMatchObject({ verdict: 'failed', failureReported: true, phase: 'closed' });
    // The skill again, in the same session: a new window, open until the user leaves.
    const calls = () => server.sessionRequests(sessionId!).map((r) => r.reply?.toolUse?.id).filter((id): id is string => id !== undefined);
    await tui.ask('deploy the service', 'Deployed.');
    const again = await waitFor('the second Skill call', calls, (ids) => ids.length === 2);
    await waitFor('the second window open', () => invocationState(MODEL_CALLED, sessionId!, again[1]!), (s) => s?.phase === 'open');
    await tui.exit();
    // /exit ends the session: its window stops taking reactions (a resume within the grace would reopen it).
    await waitFor('the second window ended', () => invocationState(MODEL_CALLED, sessionId!, again[1]!), (s) => s !== undefined && s.phase !== 'open');
    expectNothingOfSkillopt(tui);
  }, 240_000);

  it('the user invokes a skill by name (/release-checklist--alice) and pushes back: a candidate is published; nothing of skillopt on screen', async () => {
    const tui = await Tui.start('typed', { env: agentEnv, cwd: box.cwd, logDir: join(box.root, 'tui') });
    tuis.push(tui);
    // The TUI completes slash commands: the typed name is sent as it stands.
    await tui.ask(`/${TYPED_DIR}`, 'Deployed the release.');
    const sessionId = await waitFor('the session transcript', () => newSessionId(known), (id) => id !== undefined);
    known.add(sessionId!);
    await tui.ask(WRONG, 'Sorry: running the tests now.');
    await waitFor('the candidate v2', () => store.latestVersion(TYPED), (v) => v?.version === 2, 120_000);
    expect(await store.latestVersion(TYPED)).toMatchObject({ state: 'candidate' });
    expect(hooksLog()).toMatch(/UserPromptExpansion: armed/);
    await tui.exit();
    expectNothingOfSkillopt(tui);
  }, 240_000);
});

