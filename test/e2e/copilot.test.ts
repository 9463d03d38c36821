// The loop with the real GitHub Copilot CLI (pinned @github/copilot) against
// the scripted Responses API on loopback (BYOK: COPILOT_PROVIDER_BASE_URL,
// COPILOT_PROVIDER_WIRE_API=responses, COPILOT_OFFLINE=true, so nothing else is
// reached): `skillopt hooks install --agent copilot` writes skillopt's hooks
// file into ~/.copilot/hooks; a session pulls v1 into ~/.copilot/skills at its
// start; a session whose model calls the `skill` tool on the pulled skill arms,
// the user's next prompt in that session (`copilot -p … --session-id <id>`,
// a resume) pushes back, the judge and proposer run through the Copilot backend
// (no tools, on the same machine, so skillopt's hooks see those runs too and do
// nothing), a candidate appears, and the next session pulls it (the whole team
// is the canary cohort here). A pleased reaction publishes nothing, a local
// skill's use never arms, and nothing of skillopt reaches the model. The worker
// runs in this process and reads Copilot's session logs.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copilotCliModel } from '../../agents/copilot/backend';
import { copilotTranscript } from '../../agents/copilot/transcript';
import { agentTranscriptRoots } from '../../agents/registry';
import { workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { parseTranscript } from '../../core/transcript';
import { type Store } from '../../store/open-store';
import { laneStateQuery } from '../../workflows/definitions';
import { startResponsesServer, type ResponsesRequest, type ResponsesServer, type Rule } from '../fixtures/responses-server';
import { uniqueName } from '../helpers/temporal';
import { BETTER_TESTS_LINE, FAILURE_REASON, PLEASED, SKILL, SKILL_NAME, TESTS_LINE, WRONG } from './deploy-skill';
import { baseEnv, hooksLogTail, installedVersionAt, stopLoopStack, untilLogged, writeSkillDir, startAgentLoop } from './helpers';

const COPILOT_BIN = resolve('node_modules/.bin/copilot');
/** One unpacked Copilot package for every run (it unpacks 235 MB on a first start). */
const COPILOT_CACHE = join(tmpdir(), 'skillopt-copilot-cache');
const REF: SkillRef = { name: SKILL_NAME, author: 'alice' };
const LOCAL_SKILL = 'notes--bob';

let server: ResponsesServer;
let temporal: TestWorkflowEnvironment;
let store: Store;
let worker: Worker;
let workerRun: Promise<void>;
let root: string;
let home: string;
let cwd: string;
let env: Record<string, string>;

const skillFile = (dirName: string) => join(home, '.copilot', 'skills', dirName, 'SKILL.md');
/** Copilot puts skillopt's system text in its own prompt's instructions (the backend's custom agent). */
const says = (req: ResponsesRequest, needle: string) => req.instructions.includes(needle) || req.allText.includes(needle);
/** The prompt the user typed last (Copilot prefixes a `<current_datetime>` line). */
const typed = (text: string) => (req: ResponsesRequest) => req.lastUserText.endsWith(`\n\n${text}`);

function rules(): Rule[] {
  return [
    {
      // skillopt's pre-publish check (ahead of the judge, whose system prompt begins the same): the edit goes on.
      name: 'check',
      match: (req) => says(req, 'checking an edit to a skill'),
      reply: { text: JSON.stringify({ addressed: 1, worse: 0, reason: 'The edit makes the test run verifiable.' }) },
    },
    {
      name: 'judge',
      match: (req) => says(req, 'strict engineering reviewer'),
      reply: (req) => ({
        text: req.allText.includes('you skipped the tests')
          ? JSON.stringify({ success: 0, confidence: 0.9, reason: FAILURE_REASON })
          : JSON.stringify({ success: 1, confidence: 0.8, reason: 'The deploy followed the checklist and the user confirmed it.' }),
      }),
    },
    {
      name: 'proposer',
      match: (req) => says(req, 'JSON array'),
      reply: { text: ['The checklist never makes the test run verifiable.', '```json', JSON.stringify([{ op: 'replace', target: TESTS_LINE, content: BETTER_TESTS_LINE }]), '```'].join('\n') },
    },
    { name: 'use-skill', match: typed('deploy the service'), reply: { text: "I'll follow the deploy checklist.", functionCall: { name: 'skill', arguments: { skill: SKILL } } } },
    { name: 'use-local', match: typed('check my notes'), reply: { functionCall: { name: 'skill', arguments: { skill: LOCAL_SKILL } } } },
    // After a `skill` call Copilot sends the skill's body as a user message of its own.
    { name: 'after-skill', match: (req) => req.lastUserText.startsWith('<skill-context'), reply: { text: 'Deployed.' } },
    { name: 'apologize', match: typed(WRONG), reply: { text: 'Sorry: running the tests now.' } },
    { name: 'welcome', match: typed(PLEASED), reply: { text: "You're welcome." } },
    { name: 'hello', match: typed('hello'), reply: { text: 'Hi.' } },
  ];
}

/** One `copilot -p` run: a new session, or the next prompt of `sessionId` (a resume); the session's id. */
async function runCopilot(prompt: string, sessionId: string = randomUUID()): Promise<string> {
  const run = await execa(COPILOT_BIN, ['-p', prompt, '-s', '--allow-all-tools', '--session-id', sessionId], { cwd, env, extendEnv: false, stdin: 'ignore', timeout: 90_000, reject: false });
  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  // Nothing of skillopt's hooks shows in the session's output.
  expect(run.stderr).toBe('');
  expect(run.stdout).not.toMatch(/skillopt/i);
  return sessionId;
}

const installedVersion = () => installedVersionAt(skillFile(SKILL));
const log = () => hooksLogTail(home);
const waitFor = <T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs?: number) => untilLogged(home, what, fn, ok, timeoutMs);

function lane() {
  return temporal.client.workflow.getHandle(workflowIdForSkill(REF)).query(laneStateQuery).catch(() => undefined);
}

beforeAll(async () => {
  server = await startResponsesServer({ rules: rules() });
  root = join(resolve(process.env.TMPDIR ?? '/tmp'), uniqueName('copilot-e2e'));
  home = join(root, 'user');
  cwd = join(root, 'project');
  mkdirSync(home, { recursive: true });
  mkdirSync(cwd);
  const user = {
    HOME: home,
    COPILOT_CACHE_HOME: COPILOT_CACHE,
    COPILOT_OFFLINE: 'true',
    COPILOT_AUTO_UPDATE: 'false',
    COPILOT_PROVIDER_BASE_URL: server.url,
    COPILOT_PROVIDER_WIRE_API: 'responses',
    COPILOT_MODEL: 'scripted',
  };
  let installed: string;
  // The user's own Copilot, hooks and all: the backend's runs must leave skillopt's hooks idle.
  ({ temporal, store, worker, workerRun, env, installed } = await startAgentLoop({ agent: 'copilot', root, cwd, userEnv: user, model: copilotCliModel({ bin: COPILOT_BIN, env: baseEnv(user) }), transcriptRoots: agentTranscriptRoots({ HOME: home }) }));
  expect(installed).toContain(join(home, '.copilot', 'hooks', 'skillopt.json'));
  // A skill of the user's own, in Copilot's skills folder, that pull did not install.
  writeSkillDir(join(home, '.copilot', 'skills', LOCAL_SKILL), LOCAL_SKILL, 'my notes', '# Notes\n');
}, 180_000);

afterAll(async () => {
  // The last sessions' pulls run detached: one still running would write into the folder removed below.
  if (cwd) await waitFor('the sessions’ pulls to end', () => execa('pgrep', ['-f', `hook-session-start.mjs.*${cwd}`], { reject: false }).then((r) => r.exitCode), (code) => code === 1).catch(() => undefined);
  await stopLoopStack({ skilloptHomes: [home && join(home, '.skillopt')], worker, workerRun, store, temporal, server, folders: [root] });
}, 90_000);

describe('the loop with the real Copilot CLI', () => {
  it('a pushback after a skill call on a pulled skill makes a candidate, judged and proposed through Copilot; the next session pulls it', async () => {
    await runCopilot('hello');
    await waitFor('v1 pulled into ~/.copilot/skills at session start', installedVersion, (v) => v === 1);

    const session = await runCopilot('deploy the service');
    expect(server.responseRequests().some((r) => r.rule === 'after-skill')).toBe(true);
    await runCopilot(WRONG, session);
    const pushedBack = Date.now();
    await waitFor('the candidate v2', () => store.latestVersion(REF), (v) => v?.version === 2, 120_000);
    console.log(`copilot e2e: pushback to candidate ${Date.now() - pushedBack} ms`);
    const v2 = (await store.latestVersion(REF))!;
    expect(v2).toMatchObject({ state: 'candidate' });
    expect(v2.body).toContain(BETTER_TESTS_LINE);
    expect(v2.precheck).toMatchObject({ decision: 'go-on', addressed: 1, failures: 1, worse: 0 });
    const [verdict] = await store.verdicts(REF);
    expect(verdict).toMatchObject({ outcome: 'failed', reason: FAILURE_REASON, agent: 'copilot', user: 'alice', sessionId: session, skillVersion: 1 });
    // Pinned by its postToolUse timestamp, which the session log maps to the skill call (the log has the call's id; the hook does not).
    expect(verdict!.toolUseId).toMatch(/^postToolUse@\d+$/);
    const logText = readFileSync(join(home, '.copilot', 'session-state', session, 'events.jsonl'), 'utf8');
    const entries = parseTranscript(logText).filter((e) => copilotTranscript.recognizes(e));
    const read = copilotTranscript.reader(entries);
    expect(entries.flatMap(read).filter((t) => t.tool?.name === 'Skill').map((t) => t.tool!.id)).toEqual([verdict!.toolUseId]);
    // The judge read Copilot's session log: the skill call and the reaction.
    const judged = server.responseRequests().find((r) => r.rule === 'judge')!;
    expect(judged.responses!.allText).toContain(`[tool Skill]: ${SKILL}`);
    expect(judged.responses!.allText).toContain(WRONG);
    // Through Copilot with no tools: the judge, the check and the proposer were offered none.
    for (const r of server.responseRequests().filter((x) => x.rule === 'judge' || x.rule === 'proposer' || x.rule === 'check')) expect(r.responses!.tools).toEqual([]);
    await waitFor('the lane to have v2 on trial', lane, (s) => s?.rollout?.version === 2);

    // The cohort's next session pulls the candidate.
    await runCopilot('hello');
    await waitFor('v2 pulled', installedVersion, (v) => v === 2);
    expect(readFileSync(skillFile(SKILL), 'utf8')).toContain(BETTER_TESTS_LINE);
  }, 300_000);

  it('a pleased reaction publishes nothing', async () => {
    const session = await runCopilot('deploy the service');
    await runCopilot(PLEASED, session);
    await waitFor('the pleased verdict', () => store.verdicts(REF), (vs) => vs.some((v) => v.sessionId === session), 90_000);
    expect((await store.verdicts(REF)).find((v) => v.sessionId === session)).toMatchObject({ outcome: 'passed', skillVersion: 2 });
    expect((await store.latestVersion(REF))?.version).toBe(2);
  }, 180_000);

  it("a local skill's use never arms", async () => {
    const session = await runCopilot('check my notes');
    expect(server.responseRequests().some((r) => r.rule === 'use-local')).toBe(true);
    await runCopilot(WRONG, session);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(log()).toContain('PreToolUse: not-org-skill');
    expect((await store.verdicts(REF)).some((v) => v.sessionId === session)).toBe(false);
  }, 120_000);

  it("skillopt's own Copilot runs (judge, proposer) leave its hooks idle: they pulled, armed and recorded nothing", () => {
    const judgeRuns = server.responseRequests().filter((r) => r.rule === 'judge' || r.rule === 'proposer' || r.rule === 'check').length;
    expect(judgeRuns).toBeGreaterThanOrEqual(3);
    // Copilot logged the backend's sessions beside the user's, but skillopt's SessionStart snapshotted only the user's (in the project folder).
    const sessions = readdirSync(join(home, '.copilot', 'session-state')).filter((id) => existsSync(join(home, '.copilot', 'session-state', id, 'events.jsonl')));
    const skilloptSessions = readdirSync(join(home, '.skillopt', 'sessions')).filter((f) => f.endsWith('.skills.json')).map((f) => f.replace(/\.skills\.json$/, ''));
    expect(sessions.length).toBeGreaterThan(skilloptSessions.length);
    for (const id of skilloptSessions) {
      const events = readFileSync(join(home, '.copilot', 'session-state', id, 'events.jsonl'), 'utf8');
      expect(events).toContain(`"cwd":"${cwd}"`);
    }
  });

  it('the hooks are invisible to the model: no message of any session request says anything of skillopt', () => {
    const sessions = server.responseRequests().filter((r) => r.rule !== 'judge' && r.rule !== 'proposer' && r.rule !== 'check');
    expect(sessions.length).toBeGreaterThan(8);
    for (const r of sessions) {
      // Messages only, and not a skill Copilot delivered: a pulled SKILL.md names its contributors (skillopt among them).
      const messages = r.responses!.input
        .filter((i) => i.role === 'user' || i.role === 'assistant')
        .flatMap((i) => (typeof i.content === 'string' ? [i.content] : Array.isArray(i.content) ? i.content.map((c) => c.text ?? '') : []))
        .filter((text) => !text.startsWith('<skill-context'));
      expect(JSON.stringify(messages)).not.toMatch(/skillopt/i);
      expect(r.responses!.instructions).not.toMatch(/skillopt/i);
    }
  });
});
