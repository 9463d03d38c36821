// The loop with the real OpenCode (pinned opencode-ai, its platform binary)
// against the scripted Chat Completions API on loopback (an
// @ai-sdk/openai-compatible provider in opencode.json, bundled in OpenCode):
// `skillopt hooks install --agent opencode` writes skillopt's plugin into
// OpenCode's plugins folder; a session pulls v1 into OpenCode's skills folder
// at its start; a session whose model calls the `skill` tool on the pulled
// skill arms, the user's next prompt in that session (`opencode run -s <id>`,
// a new process: the first one's dispose ended the session, this prompt
// resumes it) pushes back, the judge and proposer run through the OpenCode
// backend (`opencode run --pure`, an agent with every tool denied), reading
// the session from OpenCode's SQLite database read-only, a candidate appears,
// and the next session pulls what the rollout says (the whole team is the
// canary cohort here). A pleased reaction publishes nothing, a local skill's
// use never arms, and nothing of skillopt reaches the model. The worker runs
// in this process, judging on the queue the plugin routes to.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCodeCliModel } from '../../agents/opencode/backend';
import { agentTranscriptRoots } from '../../agents/registry';
import { workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { type Store } from '../../store/open-store';
import { laneStateQuery } from '../../workflows/definitions';
import { readHint } from '../../hooks/hint';
import { chatMatch, openCodeBin, startChatCompletionsServer, writeOpenCodeHome, type ChatCompletionsServer, type ChatRequest, type ChatRule, type OpenCodeHome } from '../fixtures/chat-completions-server';
import { uniqueName } from '../helpers/temporal';
import { BETTER_TESTS_LINE, FAILURE_REASON, PLEASED, SKILL, SKILL_NAME, TESTS_LINE, WRONG } from './deploy-skill';
import { baseEnv, hooksLogTail, installedVersionAt, stopLoopStack, untilLogged, startAgentLoop } from './helpers';

const OPENCODE_BIN = openCodeBin();
const REF: SkillRef = { name: SKILL_NAME, author: 'alice' };
const LOCAL_SKILL = 'notes--bob';

let server: ChatCompletionsServer;
let temporal: TestWorkflowEnvironment;
let store: Store;
let worker: Worker;
let workerRun: Promise<void>;
let root: string;
let oc: OpenCodeHome;
let cwd: string;
let env: Record<string, string>;

const skillFile = (dirName: string) => join(oc.configDir, 'skills', dirName, 'SKILL.md');
/** skillopt's model calls: through `opencode run` with every tool denied, so none is offered. */
const backend = (req: ChatRequest) => req.tools.length === 0 && !req.isTitle;

function rules(): ChatRule[] {
  return [
    {
      name: 'check',
      match: (req) => backend(req) && req.system.includes('checking an edit to a skill'),
      reply: { text: JSON.stringify({ addressed: 1, worse: 0, reason: 'The edit makes the test run verifiable.' }) },
    },
    {
      name: 'judge',
      match: (req) => backend(req) && req.system.includes('strict engineering reviewer'),
      reply: (req) => ({
        text: req.lastUserText.includes('you skipped the tests')
          ? JSON.stringify({ success: 0, confidence: 0.9, reason: FAILURE_REASON })
          : JSON.stringify({ success: 1, confidence: 0.8, reason: 'The deploy followed the checklist and the user confirmed it.' }),
      }),
    },
    {
      name: 'proposer',
      match: (req) => backend(req) && req.system.includes('JSON array'),
      reply: { text: ['The checklist never makes the test run verifiable.', '```json', JSON.stringify([{ op: 'replace', target: TESTS_LINE, content: BETTER_TESTS_LINE }]), '```'].join('\n') },
    },
    { name: 'call-skill', match: chatMatch.all(chatMatch.prompt('deploy the service'), chatMatch.noToolResult), reply: { text: "I'll follow the deploy checklist.", toolCall: { name: 'skill', arguments: { name: SKILL } } } },
    { name: 'call-local', match: chatMatch.all(chatMatch.prompt('check my notes'), chatMatch.noToolResult), reply: { toolCall: { name: 'skill', arguments: { name: LOCAL_SKILL } } } },
    { name: 'after-tool', match: chatMatch.toolResult, reply: { text: 'Deployed.' } },
    { name: 'apologize', match: chatMatch.prompt(WRONG), reply: { text: 'Sorry: running the tests now.' } },
    { name: 'welcome', match: chatMatch.prompt(PLEASED), reply: { text: "You're welcome." } },
    { name: 'hello', match: chatMatch.prompt('hello'), reply: { text: 'Hi.' } },
  ];
}

/** One `opencode run` (prompt on stdin): a new session, or the next prompt of `session`; the session's id and how long the run took. */
async function runOpenCode(prompt: string, session?: { id: string }): Promise<{ id: string; endedAt: number }> {
  const args = ['run', '--format', 'json', '--title', 'e2e', ...(session ? ['--session', session.id] : [])];
  const run = await execa(OPENCODE_BIN, args, { cwd, env, extendEnv: false, input: prompt, timeout: 120_000, reject: false });
  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stderr).not.toMatch(/skillopt/i);
  const events = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; sessionID?: string });
  expect(events.filter((e) => e.type === 'error'), run.stdout).toEqual([]);
  const id = events.find((e) => e.sessionID)?.sessionID;
  expect(id, run.stdout).toBeDefined();
  return { id: id!, endedAt: Date.now() };
}

const installedVersion = () => installedVersionAt(skillFile(SKILL));
const log = () => hooksLogTail(env.HOME!);
const waitFor = <T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs?: number) => untilLogged(env.HOME!, what, fn, ok, timeoutMs);

function lane() {
  return temporal.client.workflow.getHandle(workflowIdForSkill(REF)).query(laneStateQuery).catch(() => undefined);
}

beforeAll(async () => {
  server = await startChatCompletionsServer({ rules: rules() });
  root = join(resolve(process.env.TMPDIR ?? '/tmp'), uniqueName('oc-e2e'));
  mkdirSync(root, { recursive: true });
  oc = writeOpenCodeHome(join(root, 'user'), { url: server.url });
  cwd = join(root, 'project');
  mkdirSync(cwd);
  // The judge's own OpenCode home: the same scripted provider, nothing of the user's.
  const judge = writeOpenCodeHome(join(root, 'judge'), { url: server.url });
  let installed: string;
  ({ temporal, store, worker, workerRun, env, installed } = await startAgentLoop({ agent: 'opencode', root, cwd, userEnv: oc.env, model: openCodeCliModel({ bin: OPENCODE_BIN, env: baseEnv(judge.env) }), transcriptRoots: agentTranscriptRoots({ HOME: oc.userHome, XDG_DATA_HOME: oc.env.XDG_DATA_HOME! }) }));
  expect(installed).toContain(join(oc.configDir, 'plugins', 'skillopt.js'));
  // A skill of the user's own, in OpenCode's skills folder, that pull did not install.
  mkdirSync(join(oc.configDir, 'skills', LOCAL_SKILL), { recursive: true });
  writeFileSync(skillFile(LOCAL_SKILL), `---\nname: ${LOCAL_SKILL}\ndescription: my notes\n---\n# Notes\n`);
}, 180_000);

afterAll(() => stopLoopStack({ skilloptHomes: [env && join(env.HOME!, '.skillopt')], worker, workerRun, store, temporal, server, folders: [root] }), 60_000);

describe('the loop with the real OpenCode CLI', () => {
  it('a pushback after the skill tool loaded a pulled skill makes a candidate, judged and proposed through OpenCode; the next session pulls it', async () => {
    await runOpenCode('hello');
    await waitFor('v1 pulled into OpenCode’s skills folder at session start', installedVersion, (v) => v === 1);

    const session = await runOpenCode('deploy the service');
    expect(server.requests().find((r) => r.rule === 'call-skill')?.chat.tools).toContain('skill');
    // OpenCode has no session-end event: the run's dispose ended the session (its window closed, pinned by the call id)…
    expect(readHint(join(env.HOME!, '.skillopt'), session.id)).toMatchObject({ toolUseId: server.requests().find((r) => r.rule === 'call-skill')!.callId, endedAt: expect.any(Number) });
    // …and the next prompt in it, another process, resumes it: the window reopens and the prompt is its reaction.
    const pushback = await runOpenCode(WRONG, session);
    await waitFor('the candidate v2', () => store.latestVersion(REF), (v) => v?.version === 2, 120_000);
    const v2 = (await store.latestVersion(REF))!;
    // The closing note's number: from the pushback run's end to the candidate's row.
    console.log(`opencode e2e: pushback to candidate ${Date.parse(v2.createdAt) - pushback.endedAt} ms`);
    expect(v2).toMatchObject({ state: 'candidate' });
    expect(v2.body).toContain(BETTER_TESTS_LINE);
    expect(v2.precheck).toMatchObject({ decision: 'go-on', addressed: 1, failures: 1, worse: 0 });
    const [verdict] = await store.verdicts(REF);
    expect(verdict).toMatchObject({ outcome: 'failed', reason: FAILURE_REASON, agent: 'opencode', user: 'alice', sessionId: session.id, skillVersion: 1 });
    // The judge saw OpenCode's session, read from its database: the skill tool's call (pinned by its call id) and the reaction.
    const judged = server.requests().find((r) => r.rule === 'judge')!;
    expect(judged.chat.lastUserText).toContain(`[tool Skill]: ${SKILL}`);
    expect(judged.chat.lastUserText).toContain("I'll follow the deploy checklist.");
    expect(judged.chat.lastUserText).toContain(WRONG);
    // Through OpenCode with every tool denied: the judge, the check and the proposer were offered none.
    const modelCalls = server.requests().filter((x) => x.rule === 'judge' || x.rule === 'proposer' || x.rule === 'check');
    expect(modelCalls.map((r) => r.rule).sort()).toEqual(['check', 'judge', 'proposer']);
    for (const r of modelCalls) expect(r.chat.body.tools).toBeUndefined();
    await waitFor('the lane to have v2 on trial', lane, (s) => s?.rollout?.version === 2);

    // The cohort's next session pulls the candidate.
    await runOpenCode('hello');
    await waitFor('v2 pulled', installedVersion, (v) => v === 2);
    expect(readFileSync(skillFile(SKILL), 'utf8')).toContain(BETTER_TESTS_LINE);
  }, 300_000);

  it('a pleased reaction publishes nothing', async () => {
    const session = await runOpenCode('deploy the service');
    await runOpenCode(PLEASED, session);
    await waitFor('the pleased verdict', () => store.verdicts(REF), (vs) => vs.some((v) => v.sessionId === session.id), 90_000);
    expect((await store.verdicts(REF)).find((v) => v.sessionId === session.id)).toMatchObject({ outcome: 'passed', skillVersion: 2 });
    expect((await store.latestVersion(REF))?.version).toBe(2);
  }, 180_000);

  it("a local skill's use never arms", async () => {
    const session = await runOpenCode('check my notes');
    expect(server.requests().some((r) => r.rule === 'call-local')).toBe(true);
    await runOpenCode(WRONG, session);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(log()).toContain('tool.execute.after: not-org-skill');
    expect((await store.verdicts(REF)).some((v) => v.sessionId === session.id)).toBe(false);
  }, 120_000);

  it('the plugin is invisible to the model: no message of any session request says anything of skillopt; it logged no error', () => {
    const hooksLog = readFileSync(join(env.HOME!, '.skillopt', 'hooks.log'), 'utf8');
    expect(hooksLog).toContain('[opencode chat.message');
    expect(hooksLog).not.toMatch(/ ERROR /);
    const sessions = server.requests().filter((r) => !backend(r.chat));
    expect(sessions.length).toBeGreaterThan(8);
    for (const r of sessions) {
      // Not the skill tool's result: a pulled SKILL.md names its contributors (skillopt among them).
      const messages = r.chat.messages.filter((m) => !(m.role === 'tool' && typeof m.content === 'string' && m.content.startsWith('<skill_content')));
      expect(JSON.stringify(messages)).not.toMatch(/skillopt|opencode-plugin/i);
    }
  });
});
