// The loop with the real Codex CLI (pinned @openai/codex) against the scripted
// Responses API on loopback: `skillopt hooks install --agent codex` (hooks.json
// and their trust, no bypass flag), a session reads a pulled skill's SKILL.md
// through the shell (arming), the user pushes back in the next turn (`codex exec
// resume`), the judge and proposer run through the codex backend (`codex exec`,
// read-only, no shell, no hooks), a candidate appears, and the next session
// pulls what the rollout says (the whole team is the canary cohort here). A
// pleased reaction publishes nothing, a local skill's read never arms, and no
// hook ever speaks to the model. A prompt naming the skill (`$name`, which Codex
// injects without a tool call) arms too. The worker runs in this process, judging on
// the queue the hooks route to, and reads the user's Codex sessions folder.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codexCliModel } from '../../agents/codex/backend';
import { workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { agentTranscriptRoots } from '../../agents/registry';
import { type Store } from '../../store/open-store';
import { laneStateQuery } from '../../workflows/definitions';
import { match, shellCall, startResponsesServer, writeCodexHome, type ResponsesServer, type Rule } from '../fixtures/responses-server';
import { uniqueName } from '../helpers/temporal';
import { BETTER_TESTS_LINE, FAILURE_REASON, PLEASED, SKILL, SKILL_NAME, TESTS_LINE, WRONG } from './deploy-skill';
import { baseEnv, hooksLogTail, installedVersionAt, stopLoopStack, untilLogged, startAgentLoop } from './helpers';

const CODEX_BIN = resolve('node_modules/.bin/codex');
const REF: SkillRef = { name: SKILL_NAME, author: 'alice' };
const LOCAL_SKILL = 'notes--bob';

let server: ResponsesServer;
let temporal: TestWorkflowEnvironment;
let store: Store;
let worker: Worker;
let workerRun: Promise<void>;
let root: string;
let codexHome: string;
let cwd: string;
let env: Record<string, string>;

const skillFile = (dirName: string) => join(codexHome, 'skills', dirName, 'SKILL.md');

function rules(): Rule[] {
  return [
    {
      // skillopt's pre-publish check (ahead of the judge, whose system prompt begins the same): the edit goes on.
      name: 'check',
      match: (req) => req.allText.includes('checking an edit to a skill'),
      reply: { text: JSON.stringify({ addressed: 1, worse: 0, reason: 'The edit makes the test run verifiable.' }) },
    },
    {
      // skillopt's judge, through `codex exec` (its system prompt folded into the input).
      name: 'judge',
      match: (req) => req.allText.includes('strict engineering reviewer'),
      reply: (req) => ({
        text: req.allText.includes('you skipped the tests')
          ? JSON.stringify({ success: 0, confidence: 0.9, reason: FAILURE_REASON })
          : JSON.stringify({ success: 1, confidence: 0.8, reason: 'The deploy followed the checklist and the user confirmed it.' }),
      }),
    },
    {
      name: 'proposer',
      match: (req) => req.allText.includes('JSON array'),
      reply: { text: ['The checklist never makes the test run verifiable.', '```json', JSON.stringify([{ op: 'replace', target: TESTS_LINE, content: BETTER_TESTS_LINE }]), '```'].join('\n') },
    },
    { name: 'read-skill', match: match.all(match.prompt('deploy the service'), match.noToolResult), reply: (req) => ({ text: "I'll follow the deploy checklist.", functionCall: shellCall(req, `sed -n '1,200p' ${skillFile(SKILL)}`) }) },
    { name: 'read-local', match: match.all(match.prompt('check my notes'), match.noToolResult), reply: (req) => ({ functionCall: shellCall(req, `cat ${skillFile(LOCAL_SKILL)}`) }) },
    { name: 'mention', match: match.prompt(`$${SKILL} deploy the service`), reply: { text: 'Deployed, following the checklist.' } },
    { name: 'after-tool', match: match.toolResult, reply: { text: 'Deployed.' } },
    { name: 'apologize', match: match.prompt(WRONG), reply: { text: 'Sorry: running the tests now.' } },
    { name: 'welcome', match: match.prompt(PLEASED), reply: { text: "You're welcome." } },
    { name: 'hello', match: match.prompt('hello'), reply: { text: 'Hi.' } },
  ];
}

/** One `codex exec` turn (a new session, or `resume <id>`); its session id (the model requests' session-id header). */
async function codex(prompt: string, resume?: string): Promise<string> {
  const before = server.responseRequests().length;
  const args = ['exec', '--skip-git-repo-check', '--color', 'never', '--dangerously-bypass-approvals-and-sandbox', ...(resume ? ['resume', resume] : []), prompt];
  const run = await execa(CODEX_BIN, args, { cwd, env, extendEnv: false, stdin: 'ignore', timeout: 90_000, reject: false });
  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  const mine = server.responseRequests().slice(before).filter((r) => r.rule !== 'judge' && r.rule !== 'proposer' && r.rule !== 'check');
  const id = mine.at(-1)?.headers['session-id'];
  expect(typeof id, run.stderr).toBe('string');
  return id as string;
}

const installedVersion = () => installedVersionAt(skillFile(SKILL));
const log = () => hooksLogTail(env.HOME!);
const waitFor = <T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs?: number) => untilLogged(env.HOME!, what, fn, ok, timeoutMs);

function lane() {
  return temporal.client.workflow.getHandle(workflowIdForSkill(REF)).query(laneStateQuery).catch(() => undefined);
}

beforeAll(async () => {
  server = await startResponsesServer({ rules: rules() });
  root = join(resolve(process.env.TMPDIR ?? '/tmp'), uniqueName('codex-e2e'));
  mkdirSync(root, { recursive: true });
  const user = writeCodexHome(join(root, 'user'), { url: server.url });
  codexHome = user.home;
  cwd = join(root, 'project');
  mkdirSync(cwd);
  // The judge's own Codex home: the same scripted provider, no hooks, nothing of the user's.
  const judge = writeCodexHome(join(root, 'judge'), { url: server.url });
  let installed: string;
  ({ temporal, store, worker, workerRun, env, installed } = await startAgentLoop({ agent: 'codex', root, cwd, userEnv: user.env, model: codexCliModel({ bin: CODEX_BIN, env: baseEnv(judge.env) }), transcriptRoots: agentTranscriptRoots({ HOME: user.userHome, CODEX_HOME: codexHome }) }));
  expect(installed).toContain(`trusted in ${join(codexHome, 'config.toml')}`);
  // A skill of the user's own, in Codex's skills folder, that pull did not install.
  mkdirSync(join(codexHome, 'skills', LOCAL_SKILL), { recursive: true });
  writeFileSync(skillFile(LOCAL_SKILL), `---\nname: ${LOCAL_SKILL}\ndescription: my notes\n---\n# Notes\n`);
}, 180_000);

afterAll(() => stopLoopStack({ skilloptHomes: [env && join(env.HOME!, '.skillopt')], worker, workerRun, store, temporal, server, folders: [root] }), 60_000);

describe('the loop with the real Codex CLI', () => {
  it('a pushback after reading a pulled skill makes a candidate, judged and proposed through codex exec; the next session pulls it', async () => {
    await codex('hello');
    await waitFor('v1 pulled into $CODEX_HOME/skills at SessionStart', installedVersion, (v) => v === 1);

    const session = await codex('deploy the service');
    await codex(WRONG, session);
    await waitFor('the candidate v2', () => store.latestVersion(REF), (v) => v?.version === 2, 120_000);
    const v2 = (await store.latestVersion(REF))!;
    expect(v2).toMatchObject({ state: 'candidate' });
    expect(v2.body).toContain(BETTER_TESTS_LINE);
    // Checked before anyone got it, through codex exec on the failing session's machine: the failure addressed.
    expect(v2.precheck).toMatchObject({ decision: 'go-on', addressed: 1, failures: 1, worse: 0 });
    expect(server.responseRequests().filter((r) => r.rule === 'check').some((r) => r.responses!.allText.includes(WRONG))).toBe(true);
    const [verdict] = await store.verdicts(REF);
    expect(verdict).toMatchObject({ outcome: 'failed', reason: FAILURE_REASON, agent: 'codex', user: 'alice', sessionId: session, skillVersion: 1 });
    // The judge saw the Codex transcript: the shell read of the skill and the reaction.
    const judged = server.responseRequests().find((r) => r.rule === 'judge')!;
    expect(judged.responses!.allText).toContain(`/${SKILL}/SKILL.md`);
    expect(judged.responses!.allText).toContain(WRONG);
    // Through codex exec with no shell: the judge and the proposer were offered no tool that runs commands.
    for (const r of server.responseRequests().filter((x) => x.rule === 'judge' || x.rule === 'proposer' || x.rule === 'check')) {
      expect(r.responses!.tools.filter((t) => /exec|shell/.test(t))).toEqual([]);
    }
    await waitFor('the lane to have v2 on trial', lane, (s) => s?.rollout?.version === 2);

    // The cohort's next session pulls the candidate.
    await codex('hello');
    await waitFor('v2 pulled', installedVersion, (v) => v === 2);
    expect(readFileSync(skillFile(SKILL), 'utf8')).toContain(BETTER_TESTS_LINE);
  }, 300_000);

  it('a pleased reaction publishes nothing', async () => {
    const session = await codex('deploy the service');
    await codex(PLEASED, session);
    await waitFor('the pleased verdict', () => store.verdicts(REF), (vs) => vs.some((v) => v.sessionId === session));
    expect((await store.verdicts(REF)).find((v) => v.sessionId === session)).toMatchObject({ outcome: 'passed', skillVersion: 2 });
    expect((await store.latestVersion(REF))?.version).toBe(2);
  }, 180_000);

  it('a prompt naming the skill as $<name>--<author> (injected by Codex, no tool call) is judged on its next prompt', async () => {
    const session = await codex(`$${SKILL} deploy the service`);
    // Codex injected the pulled SKILL.md itself: the model read no file.
    const asked = server.sessionRequests(session).find((r) => r.rule === 'mention')!;
    expect(asked.responses!.injectedSkills.map((s) => s.name)).toEqual([SKILL]);
    expect(asked.responses!.functionCalls).toEqual([]);
    await codex(WRONG, session);
    await waitFor('the verdict of the mention', () => store.verdicts(REF), (vs) => vs.some((v) => v.sessionId === session), 90_000);
    expect((await store.verdicts(REF)).find((v) => v.sessionId === session)).toMatchObject({ outcome: 'failed', agent: 'codex', skillVersion: 2 });
  }, 180_000);

  it("a local skill's SKILL.md read through the shell never arms", async () => {
    const session = await codex('check my notes');
    expect(server.sessionRequests(session).some((r) => r.rule === 'read-local')).toBe(true);
    await codex(WRONG, session);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(existsSync(join(env.HOME!, '.skillopt', 'sessions', `${session}.json`))).toBe(false);
    expect(log()).toContain('PreToolUse: not-org-skill');
    expect((await store.verdicts(REF)).some((v) => v.sessionId === session)).toBe(false);
  }, 120_000);

  it('the hooks are invisible to the model: no message of any session request says anything of skillopt', () => {
    const sessions = server.responseRequests().filter((r) => r.rule !== 'judge' && r.rule !== 'proposer' && r.rule !== 'check');
    expect(sessions.length).toBeGreaterThan(8);
    for (const r of sessions) {
      // Messages only, and not a skill Codex injected: a pulled SKILL.md names its contributors (skillopt among them).
      const messages = (r.responses!.input as { type?: string; content?: { text?: string }[] }[])
        .filter((i) => i.type === 'message' || i.type === undefined)
        .flatMap((i) => (Array.isArray(i.content) ? i.content : []).map((c) => c.text ?? ''))
        .filter((text) => !text.startsWith('<skill>'));
      expect(JSON.stringify(messages)).not.toMatch(/skillopt|hook\.cjs/i);
    }
  });
});
