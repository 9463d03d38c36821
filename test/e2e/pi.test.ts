// The loop with the real pi coding agent (pinned @mariozechner/pi-coding-agent)
// against the scripted Responses API on loopback (pi's models.json baseUrl):
// `skillopt hooks install --agent pi` writes skillopt's extension into pi's
// extensions folder; a pi session pulls v1 into pi's skills folder at its
// start; a session whose model `read`s the pulled SKILL.md arms, the user's
// next prompt in that session (`pi -p --session <file>`) pushes back, the judge
// and proposer run through the pi backend (`pi -p`, no tools, no extensions), a
// candidate appears, and the next session pulls what the rollout says (the
// whole team is the canary cohort here). A pleased reaction publishes nothing,
// a prompt typed as `/skill:<ref>` arms too, a local skill's read never arms,
// and nothing of skillopt reaches the model. The worker runs in this process,
// judging on the queue the extension routes to, and reads pi's sessions folder.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { piCliModel } from '../../agents/pi/backend';
import { agentTranscriptRoots } from '../../agents/registry';
import { workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { type Store } from '../../store/open-store';
import { laneStateQuery } from '../../workflows/definitions';
import { match, startResponsesServer, writePiHome, type PiHome, type ResponsesServer, type Rule } from '../fixtures/responses-server';
import { uniqueName } from '../helpers/temporal';
import { BETTER_TESTS_LINE, FAILURE_REASON, PLEASED, SKILL, SKILL_NAME, TESTS_LINE, WRONG } from './deploy-skill';
import { SKILLOPT_BIN, baseEnv, hooksLogTail, installedVersionAt, stopLoopStack, untilLogged, startAgentLoop } from './helpers';

const PI_BIN = resolve('node_modules/.bin/pi');
const REF: SkillRef = { name: SKILL_NAME, author: 'alice' };
const LOCAL_SKILL = 'notes--bob';

let server: ResponsesServer;
let temporal: TestWorkflowEnvironment;
let store: Store;
let worker: Worker;
let workerRun: Promise<void>;
let root: string;
let pi: PiHome;
let cwd: string;
let env: Record<string, string>;

const skillFile = (dirName: string) => join(pi.agentDir, 'skills', dirName, 'SKILL.md');

function rules(): Rule[] {
  return [
    {
      // skillopt's pre-publish check (ahead of the judge, whose system prompt begins the same): the edit goes on.
      name: 'check',
      match: (req) => req.allText.includes('checking an edit to a skill'),
      reply: { text: JSON.stringify({ addressed: 1, worse: 0, reason: 'The edit makes the test run verifiable.' }) },
    },
    {
      // skillopt's judge, through `pi -p` (its system prompt is pi's).
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
    { name: 'read-skill', match: match.all(match.prompt('deploy the service'), match.noToolResult), reply: () => ({ text: "I'll follow the deploy checklist.", functionCall: { name: 'read', arguments: { path: skillFile(SKILL) } } }) },
    { name: 'read-shared', match: match.all(match.prompt('deploy from the shared folder'), match.noToolResult), reply: () => ({ functionCall: { name: 'read', arguments: { path: join(pi.userHome, '.agents', 'skills', SKILL, 'SKILL.md') } } }) },
    { name: 'read-local', match: match.all(match.prompt('check my notes'), match.noToolResult), reply: () => ({ functionCall: { name: 'read', arguments: { path: skillFile(LOCAL_SKILL) } } }) },
    // `/skill:<ref> …`: pi sends the skill expanded into the prompt, no tool call.
    { name: 'skill-command', match: match.all(match.lastUserIncludes(`<skill name="${SKILL}"`), match.noToolResult), reply: { text: 'Deployed, following the checklist.' } },
    { name: 'after-tool', match: match.toolResult, reply: { text: 'Deployed.' } },
    { name: 'apologize', match: match.prompt(WRONG), reply: { text: 'Sorry: running the tests now.' } },
    { name: 'welcome', match: match.prompt(PLEASED), reply: { text: "You're welcome." } },
    { name: 'hello', match: match.prompt('hello'), reply: { text: 'Hi.' } },
  ];
}

/** Every session file pi has written, newest last. */
function sessionFiles(): string[] {
  if (!existsSync(pi.sessionsDir)) return [];
  return readdirSync(pi.sessionsDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => join(pi.sessionsDir, f))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
}

/** One `pi -p` run: a new session, or the next prompt of `session` (its file); the session's file and id. */
async function runPi(prompt: string, session?: { file: string }): Promise<{ file: string; id: string }> {
  const before = new Set(sessionFiles());
  const args = ['-p', ...(session ? ['--session', session.file] : []), prompt];
  const run = await execa(PI_BIN, args, { cwd, env, extendEnv: false, stdin: 'ignore', timeout: 90_000, reject: false });
  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  const file = session?.file ?? sessionFiles().find((f) => !before.has(f));
  expect(file, 'pi wrote no session file').toBeDefined();
  const header = JSON.parse(readFileSync(file!, 'utf8').split('\n')[0]!) as { id: string };
  return { file: file!, id: header.id };
}

const installedVersion = () => installedVersionAt(skillFile(SKILL));
const log = () => hooksLogTail(env.HOME!);
const waitFor = <T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs?: number) => untilLogged(env.HOME!, what, fn, ok, timeoutMs);

function lane() {
  return temporal.client.workflow.getHandle(workflowIdForSkill(REF)).query(laneStateQuery).catch(() => undefined);
}

beforeAll(async () => {
  server = await startResponsesServer({ rules: rules() });
  root = join(resolve(process.env.TMPDIR ?? '/tmp'), uniqueName('pi-e2e'));
  mkdirSync(root, { recursive: true });
  pi = writePiHome(join(root, 'user'), { url: server.url });
  cwd = join(root, 'project');
  mkdirSync(cwd);
  // The judge's own pi home: the same scripted provider, nothing of the user's.
  const judge = writePiHome(join(root, 'judge'), { url: server.url });
  let installed: string;
  ({ temporal, store, worker, workerRun, env, installed } = await startAgentLoop({ agent: 'pi', root, cwd, userEnv: pi.env, model: piCliModel({ bin: PI_BIN, env: baseEnv(judge.env) }), transcriptRoots: agentTranscriptRoots({ HOME: pi.userHome, PI_CODING_AGENT_DIR: pi.agentDir }) }));
  expect(installed).toContain(join(pi.agentDir, 'extensions', 'skillopt.ts'));
  // A skill of the user's own, in pi's skills folder, that pull did not install.
  mkdirSync(join(pi.agentDir, 'skills', LOCAL_SKILL), { recursive: true });
  writeFileSync(skillFile(LOCAL_SKILL), `---\nname: ${LOCAL_SKILL}\ndescription: my notes\n---\n# Notes\n`);
}, 180_000);

afterAll(() => stopLoopStack({ skilloptHomes: [env && join(env.HOME!, '.skillopt')], worker, workerRun, store, temporal, server, folders: [root] }), 60_000);

describe('the loop with the real pi CLI', () => {
  it('a pushback after reading a pulled skill makes a candidate, judged and proposed through pi; the next session pulls it', async () => {
    await runPi('hello');
    await waitFor('v1 pulled into pi’s skills folder at session start', installedVersion, (v) => v === 1);

    const session = await runPi('deploy the service');
    await runPi(WRONG, session);
    await waitFor('the candidate v2', () => store.latestVersion(REF), (v) => v?.version === 2, 120_000);
    const v2 = (await store.latestVersion(REF))!;
    expect(v2).toMatchObject({ state: 'candidate' });
    expect(v2.body).toContain(BETTER_TESTS_LINE);
    // Checked before anyone got it, through pi -p on the failing session's machine: the failure addressed.
    expect(v2.precheck).toMatchObject({ decision: 'go-on', addressed: 1, failures: 1, worse: 0 });
    expect(server.responseRequests().filter((r) => r.rule === 'check').some((r) => r.responses!.allText.includes(WRONG))).toBe(true);
    const [verdict] = await store.verdicts(REF);
    expect(verdict).toMatchObject({ outcome: 'failed', reason: FAILURE_REASON, agent: 'pi', user: 'alice', sessionId: session.id, skillVersion: 1 });
    // The judge saw pi's session: the read of the skill and the reaction.
    const judged = server.responseRequests().find((r) => r.rule === 'judge')!;
    expect(judged.responses!.allText).toContain(`/${SKILL}/SKILL.md`);
    expect(judged.responses!.allText).toContain(WRONG);
    // Through pi with no tools: the judge and the proposer were offered none.
    for (const r of server.responseRequests().filter((x) => x.rule === 'judge' || x.rule === 'proposer' || x.rule === 'check')) expect(r.responses!.tools).toEqual([]);
    await waitFor('the lane to have v2 on trial', lane, (s) => s?.rollout?.version === 2);

    // The cohort's next session pulls the candidate.
    await runPi('hello');
    await waitFor('v2 pulled', installedVersion, (v) => v === 2);
    expect(readFileSync(skillFile(SKILL), 'utf8')).toContain(BETTER_TESTS_LINE);
  }, 300_000);

  it('a pleased reaction publishes nothing', async () => {
    const session = await runPi('deploy the service');
    await runPi(PLEASED, session);
    await waitFor('the pleased verdict', () => store.verdicts(REF), (vs) => vs.some((v) => v.sessionId === session.id));
    expect((await store.verdicts(REF)).find((v) => v.sessionId === session.id)).toMatchObject({ outcome: 'passed', skillVersion: 2 });
    expect((await store.latestVersion(REF))?.version).toBe(2);
  }, 180_000);

  it('a prompt typed as /skill:<name>--<author> (expanded by pi, no tool call) is judged on its next prompt', async () => {
    const session = await runPi(`/skill:${SKILL} deploy it`);
    const asked = server.responseRequests().find((r) => r.rule === 'skill-command')!;
    expect(asked.responses!.functionCalls).toEqual([]);
    await runPi(WRONG, session);
    await waitFor('the verdict of the /skill: prompt', () => store.verdicts(REF), (vs) => vs.some((v) => v.sessionId === session.id), 90_000);
    expect((await store.verdicts(REF)).find((v) => v.sessionId === session.id)).toMatchObject({ outcome: 'failed', agent: 'pi', skillVersion: 2 });
  }, 180_000);

  it("a read of a local skill's SKILL.md never arms", async () => {
    const session = await runPi('check my notes');
    expect(server.responseRequests().some((r) => r.rule === 'read-local')).toBe(true);
    await runPi(WRONG, session);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(log()).toContain('tool_result: not-org-skill');
    expect((await store.verdicts(REF)).some((v) => v.sessionId === session.id)).toBe(false);
  }, 120_000);

  it('skills pulled into the agents’ shared folder serve pi: a read from there arms, sessions keep them there, and doctor flags a second copy pi would list twice', async () => {
    const shared = join(pi.userHome, '.agents', 'skills');
    const skillopt = (...args: string[]) => execa(process.execPath, [SKILLOPT_BIN, ...args], { env, extendEnv: false, cwd, reject: false });
    // The earlier sessions' pulls run detached: one still running would put back the copy removed below.
    await waitFor('the earlier sessions’ pulls to end', () => execa('pgrep', ['-f', `hook-session-start.mjs.*${cwd}`], { reject: false }).then((r) => r.exitCode), (code) => code === 1);
    expect(await skillopt('pull', '--agent', 'agents')).toMatchObject({ exitCode: 0, stdout: expect.stringContaining(`${shared}: 1 installed`) });
    // pi's own folder has the copy its sessions pulled: pi reads both folders.
    const doctor = await skillopt('doctor');
    expect(doctor.stdout).toContain(`✗ manifest: ${SKILL} is installed in ${join(pi.agentDir, 'skills')} and ${shared}, which pi both reads`);
    expect(doctor.stdout).toContain(`remove ${join(pi.agentDir, 'skills', SKILL)} (sessions then pull only into ${shared})`);
    rmSync(join(pi.agentDir, 'skills', SKILL), { recursive: true });
    expect((await skillopt('doctor')).stdout).toMatch(new RegExp(`✓ manifest: .*${shared.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(1; Codex, pi, Gemini CLI, Copilot CLI, OpenCode\\)`));

    const session = await runPi('deploy from the shared folder');
    await runPi(WRONG, session);
    await waitFor('the verdict of the shared install', () => store.verdicts(REF), (vs) => vs.some((v) => v.sessionId === session.id), 90_000);
    expect((await store.verdicts(REF)).find((v) => v.sessionId === session.id)).toMatchObject({ outcome: 'failed', agent: 'pi' });
    // The sessions pulled into the shared folder, where the skill is, not into pi's own again.
    expect(existsSync(join(pi.agentDir, 'skills', SKILL))).toBe(false);
    expect(existsSync(join(shared, SKILL, 'SKILL.md'))).toBe(true);
  }, 180_000);

  it('the extension is invisible to the model: no message of any session request says anything of skillopt', () => {
    const sessions = server.responseRequests().filter((r) => r.rule !== 'judge' && r.rule !== 'proposer' && r.rule !== 'check');
    expect(sessions.length).toBeGreaterThan(8);
    for (const r of sessions) {
      // Messages only, and not a skill pi expanded: a pulled SKILL.md names its contributors (skillopt among them).
      const messages = (r.responses!.input as { role?: string; content?: string | { text?: string }[] }[])
        .filter((i) => i.role === 'user' || i.role === 'assistant')
        .flatMap((i) => (typeof i.content === 'string' ? [i.content] : Array.isArray(i.content) ? i.content.map((c) => c.text ?? '') : []))
        .filter((text) => !text.startsWith('<skill name='));
      expect(JSON.stringify(messages)).not.toMatch(/skillopt|pi-extension/i);
    }
  });
});
