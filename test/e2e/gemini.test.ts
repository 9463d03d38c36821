// The loop with the real Gemini CLI (pinned @google/gemini-cli) against the
// scripted Gemini API on loopback (GOOGLE_GEMINI_BASE_URL): `skillopt hooks
// install --agent gemini` writes skillopt's hooks into ~/.gemini/settings.json
// and the policy that lets headless Gemini use skills; a Gemini session pulls
// v1 into ~/.gemini/skills at its start; a session whose model activates the
// pulled skill (activate_skill) arms, the user's next prompt in that session
// (`gemini -r <session id> -p …`) pushes back, the judge and proposer run
// through the Gemini backend (`gemini -p`, no tools, no hooks, no skills), a
// candidate appears, and the next session pulls what the rollout says (the
// whole team is the canary cohort here). A pleased reaction publishes nothing,
// a local skill's activation never arms, and nothing of skillopt reaches the
// model or the output. The worker runs in this process, judging on the queue
// the hooks route to, and reads Gemini's sessions folder.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geminiCliModel } from '../../agents/gemini/backend';
import { agentTranscriptRoots } from '../../agents/registry';
import { workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { type Store } from '../../store/open-store';
import { laneStateQuery } from '../../workflows/definitions';
import { match, SCRIPTED_MODEL, startGeminiServer, writeGeminiHome, type GeminiHome, type GeminiRule, type GeminiServer } from '../fixtures/gemini-server';
import { uniqueName } from '../helpers/temporal';
import { BETTER_TESTS_LINE, FAILURE_REASON, PLEASED, SKILL, SKILL_NAME, TESTS_LINE, WRONG } from './deploy-skill';
import { baseEnv, hooksLogTail, installedVersionAt, stopLoopStack, untilLogged, startAgentLoop } from './helpers';

const GEMINI_BIN = resolve('node_modules/.bin/gemini');
const REF: SkillRef = { name: SKILL_NAME, author: 'alice' };
const LOCAL_SKILL = 'notes--bob';
/** What the scripted model says when it has activated the skill: the only text of a skill session. */
const DEPLOYED = 'Deployed per checklist.';

let server: GeminiServer;
let temporal: TestWorkflowEnvironment;
let store: Store;
let worker: Worker;
let workerRun: Promise<void>;
let root: string;
let gemini: GeminiHome;
let cwd: string;
let env: Record<string, string>;
/** ms from the end of the pushback's `gemini` run to the candidate v2 in the store. */
let pushbackToCandidateMs: number | undefined;

const skillFile = (dirName: string) => join(gemini.geminiDir, 'skills', dirName, 'SKILL.md');

function rules(): GeminiRule[] {
  return [
    {
      // skillopt's pre-publish check (ahead of the judge, whose system prompt begins the same): the edit goes on.
      name: 'check',
      match: match.systemIncludes('checking an edit to a skill'),
      reply: { text: JSON.stringify({ addressed: 1, worse: 0, reason: 'The edit makes the test run verifiable.' }) },
    },
    {
      name: 'judge',
      match: match.systemIncludes('strict engineering reviewer'),
      reply: (req) => ({
        text: req.lastUserText.includes('you skipped the tests')
          ? JSON.stringify({ success: 0, confidence: 0.9, reason: FAILURE_REASON })
          : JSON.stringify({ success: 1, confidence: 0.8, reason: 'The deploy followed the checklist and the user confirmed it.' }),
      }),
    },
    {
      name: 'proposer',
      match: match.systemIncludes('JSON array'),
      reply: { text: ['The checklist never makes the test run verifiable.', '```json', JSON.stringify([{ op: 'replace', target: TESTS_LINE, content: BETTER_TESTS_LINE }]), '```'].join('\n') },
    },
    { name: 'activate-skill', match: match.all(match.prompt('deploy the service'), match.noToolResult), reply: { functionCall: { name: 'activate_skill', args: { name: SKILL } } } },
    { name: 'activate-local', match: match.all(match.prompt('check my notes'), match.noToolResult), reply: { functionCall: { name: 'activate_skill', args: { name: LOCAL_SKILL } } } },
    { name: 'after-tool', match: match.toolResult, reply: { text: DEPLOYED } },
    { name: 'apologize', match: match.prompt(WRONG), reply: { text: 'Sorry: running the tests now.' } },
    { name: 'welcome', match: match.prompt(PLEASED), reply: { text: "You're welcome." } },
    { name: 'hello', match: match.prompt('hello'), reply: { text: 'Hi.' } },
  ];
}

/** One `gemini -p` run: a new session, or the next prompt of `sessionId` (`-r`); its session id and answer. */
async function runGemini(prompt: string, sessionId?: string): Promise<{ id: string; response: string; ms: number }> {
  const started = performance.now();
  const args = ['-m', SCRIPTED_MODEL, ...(sessionId ? ['-r', sessionId] : []), '-o', 'json', '-p', prompt];
  const run = await execa(GEMINI_BIN, args, { cwd, env, extendEnv: false, stdin: 'ignore', timeout: 90_000, reject: false });
  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  // Nothing of skillopt in what Gemini prints.
  expect(`${run.stdout}\n${run.stderr}`).not.toMatch(/skillopt|hook/i);
  const out = JSON.parse(run.stdout) as { session_id: string; response: string };
  return { id: out.session_id, response: out.response, ms: performance.now() - started };
}

const installedVersion = () => installedVersionAt(skillFile(SKILL));
const log = () => hooksLogTail(env.HOME!);
const waitFor = <T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs?: number) => untilLogged(env.HOME!, what, fn, ok, timeoutMs);

function lane() {
  return temporal.client.workflow.getHandle(workflowIdForSkill(REF)).query(laneStateQuery).catch(() => undefined);
}

beforeAll(async () => {
  server = await startGeminiServer({ rules: rules() });
  root = join(resolve(process.env.TMPDIR ?? '/tmp'), uniqueName('gemini-e2e'));
  mkdirSync(root, { recursive: true });
  gemini = writeGeminiHome(join(root, 'user'), { url: server.url });
  cwd = join(root, 'project');
  mkdirSync(cwd);
  // The judge's own Gemini home: the same scripted API, nothing of the user's.
  const judge = writeGeminiHome(join(root, 'judge'), { url: server.url });
  let installed: string;
  ({ temporal, store, worker, workerRun, env, installed } = await startAgentLoop({ agent: 'gemini', root, cwd, userEnv: gemini.env, model: geminiCliModel({ bin: GEMINI_BIN, env: baseEnv(judge.env), judgeModel: SCRIPTED_MODEL, proposerModel: SCRIPTED_MODEL }), transcriptRoots: agentTranscriptRoots({ HOME: gemini.userHome }) }));
  expect(installed).toContain(gemini.settingsPath);
  // A skill of the user's own, in Gemini's skills folder, that pull did not install.
  mkdirSync(join(gemini.geminiDir, 'skills', LOCAL_SKILL), { recursive: true });
  writeFileSync(skillFile(LOCAL_SKILL), `---\nname: ${LOCAL_SKILL}\ndescription: my notes\n---\n# Notes\n`);
}, 180_000);

afterAll(async () => {
  if (pushbackToCandidateMs !== undefined) process.stdout.write(`gemini e2e: pushback to candidate ${Math.round(pushbackToCandidateMs)} ms\n`);
  await stopLoopStack({ skilloptHomes: [env && join(env.HOME!, '.skillopt')], worker, workerRun, store, temporal, server, folders: [root] });
}, 60_000);

describe('the loop with the real Gemini CLI', () => {
  it('a pushback after activating a pulled skill makes a candidate, judged and proposed through Gemini; the next session pulls it', async () => {
    await runGemini('hello');
    await waitFor('v1 pulled into Gemini’s skills folder at session start', installedVersion, (v) => v === 1);

    const session = await runGemini('deploy the service');
    expect(session.response).toBe(DEPLOYED);
    await runGemini(WRONG, session.id);
    const pushedBack = performance.now();
    await waitFor('the candidate v2', () => store.latestVersion(REF), (v) => v?.version === 2, 120_000);
    pushbackToCandidateMs = performance.now() - pushedBack;
    const v2 = (await store.latestVersion(REF))!;
    expect(v2).toMatchObject({ state: 'candidate' });
    expect(v2.body).toContain(BETTER_TESTS_LINE);
    expect(v2.precheck).toMatchObject({ decision: 'go-on', addressed: 1, failures: 1, worse: 0 });
    const [verdict] = await store.verdicts(REF);
    expect(verdict).toMatchObject({ outcome: 'failed', reason: FAILURE_REASON, agent: 'gemini', user: 'alice', sessionId: session.id, skillVersion: 1 });
    // The judge saw Gemini's session: the activation, what the model said after it, and the reaction.
    const judged = server.modelRequests().find((r) => r.rule === 'judge')!;
    expect(judged.gemini!.allText).toContain(`[tool activate_skill]: ${SKILL}`);
    expect(judged.gemini!.allText).toContain(`ASSISTANT: ${DEPLOYED}`);
    expect(judged.gemini!.allText).toContain(WRONG);
    // Through Gemini with no tools: the judge, the proposer and the check were offered none.
    for (const r of server.modelRequests().filter((x) => x.rule === 'judge' || x.rule === 'proposer' || x.rule === 'check')) expect(r.gemini!.tools).toEqual([]);
    await waitFor('the lane to have v2 on trial', lane, (s) => s?.rollout?.version === 2);

    // The cohort's next session pulls the candidate.
    await runGemini('hello');
    await waitFor('v2 pulled', installedVersion, (v) => v === 2);
    expect(readFileSync(skillFile(SKILL), 'utf8')).toContain(BETTER_TESTS_LINE);
  }, 300_000);

  it('a pleased reaction publishes nothing', async () => {
    const session = await runGemini('deploy the service');
    await runGemini(PLEASED, session.id);
    await waitFor('the pleased verdict', () => store.verdicts(REF), (vs) => vs.some((v) => v.sessionId === session.id));
    expect((await store.verdicts(REF)).find((v) => v.sessionId === session.id)).toMatchObject({ outcome: 'passed', agent: 'gemini', skillVersion: 2 });
    expect((await store.latestVersion(REF))?.version).toBe(2);
  }, 180_000);

  it('activating a local skill never arms', async () => {
    const session = await runGemini('check my notes');
    expect(server.modelRequests().some((r) => r.rule === 'activate-local')).toBe(true);
    await runGemini(WRONG, session.id);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(log()).toContain('PreToolUse: not-org-skill');
    expect((await store.verdicts(REF)).some((v) => v.sessionId === session.id)).toBe(false);
  }, 120_000);

  it('the hooks are invisible to the model: no content of any session request says anything of skillopt', () => {
    const sessions = server.modelRequests().filter((r) => r.rule !== 'judge' && r.rule !== 'proposer' && r.rule !== 'check');
    expect(sessions.length).toBeGreaterThan(8);
    for (const r of sessions) {
      // Contents only, and not a skill Gemini activated: a pulled SKILL.md names its contributors (skillopt among them).
      const texts = r.gemini!.contents.flatMap((c) => (c.parts ?? []).map((p) => (p.functionResponse?.name === 'activate_skill' ? '' : JSON.stringify(p))));
      expect(texts.join('\n')).not.toMatch(/skillopt/i);
    }
  });
});
