// A team on one machine, as the README's "Team setup" describes it: the
// central part (`skillopt up` with the store on Postgres) runs as the
// unprivileged user `nobody`, which cannot enter the teammates' homes; two
// teammates, alice and bob, each with their own HOME (and so their own
// ~/.skillopt) and only TEMPORAL_ADDRESS, run the real Claude Code CLI against
// the scripted Messages API, with skillopt's hooks installed by
// `skillopt hooks install`. Their judge and proposer are that same `claude`
// on their PATH. The central worker's agent CLI does not exist: had it been
// asked to judge or propose, the loop could not finish.
//
// One OS user (root) plays both teammates, so SKILLOPT_USER names each person;
// the flusher's linger and worker grace are shortened so the test is quick.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../cli/doctor';
import { SHARED_TASK_QUEUE, type InvokedSignal } from '../../core/messages';
import { workflowIdForInvocation, workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { drainOutbox } from '../../worker/outbox-delivery';
import { listOutbox } from '../../local/outbox/files';
import { liveFlusherPid } from '../../local/outbox/flusher-lock';
import { machineQueue } from '../../local/mode';
import type { Store } from '../../store/open-store';
import { invocationStateQuery, invokedSignal, reactionSignal, type InvocationSummary } from '../../workflows/definitions';
import { invocationWorkflow } from '../../workflows/invocation-workflow';
import { startAnthropicServer, type AnthropicServer } from '../fixtures/anthropic-server';
import { AGENT_ONLY_TEXT, BETTER_TESTS_LINE, BODY, FAILURE_REASON, PLEASED, ROLLBACK, ROLLBACK_PATH, SKILL, SKILL_NAME, SMOKE_SCRIPT, TESTS_LINE, WRONG, deployRules } from '../e2e/deploy-skill';
import { NOBODY, cannotRunAsNobody, startCentralAsNobody, type CentralAsNobody } from './nobody';
import { onlyToolUseId, until, writeSkillDir } from '../e2e/helpers';
import { makeTeammate as makeTeammateMachine, skillopt as runSkillopt, untilInTeam, type Teammate, installedSkill, teammateSession } from './teammate-machine';

const pgUrl = process.env.SKILLOPT_TEST_DATABASE_URL?.trim() || undefined;

/** Why this machine cannot run the test, or undefined. */
function cannotRun(): string | undefined {
  if (!pgUrl) return 'needs SKILLOPT_TEST_DATABASE_URL (the central store is Postgres; .ci/run sets it)';
  return cannotRunAsNobody();
}
const skipReason = cannotRun();
if (skipReason) console.warn(`team-topology test skipped: ${skipReason}`);

const REF: SkillRef = { name: SKILL_NAME, author: 'alice' };

let server: AnthropicServer;
let central: CentralAsNobody | undefined;
let temporalAddress: string;
let client: Client;
let store: Store;
let alice: Teammate;
let bob: Teammate;

const skillopt = (who: Teammate, args: string[], env: Record<string, string> = who.env) => runSkillopt(who, args, env, 60_000);

function makeTeammate(name: string): Teammate {
  return makeTeammateMachine(name, { temporalAddress: temporalAddress, modelUrl: server.url });
}

const agent = teammateSession;

const installed = (who: Teammate): string => installedSkill(who, SKILL);

/** until(), with the central part's output and the teammates' hook logs when it times out. */
function waitFor<T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  return untilInTeam({ centralOutput: () => central?.output() ?? '', teammates: [alice, bob] }, what, fn, ok, timeoutMs);
}

function skillToolUseId(sessionId: string): string {
  return onlyToolUseId(server, sessionId);
}

function invocationHandle(sessionId: string, toolUseId = skillToolUseId(sessionId)) {
  return client.workflow.getHandle(workflowIdForInvocation(REF, sessionId, toolUseId));
}

function invocation(sessionId: string): Promise<InvocationSummary | undefined> {
  return invocationHandle(sessionId).query(invocationStateQuery).catch(() => undefined);
}

/** The judge requests that carried one session's reaction. */
function judgeRequestsFor(reaction: string): number {
  return server.messageRequests().filter((r) => r.rule === 'judge' && r.messages!.lastUserText.includes(reaction)).length;
}

/** The task queues an activity type was scheduled on, in a workflow's history. */
async function scheduledOn(workflowId: string, activity: string): Promise<string[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  return events
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((a) => a?.activityType?.name === activity)
    .map((a) => a!.taskQueue!.name!);
}

/** A workflow's history as text, its payloads decoded: what anyone with namespace access can read. */
async function historyText(workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(history, (key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (key === 'data' && typeof value === 'string') return Buffer.from(value, 'base64').toString('utf8');
    return value;
  });
}

beforeAll(async () => {
  if (skipReason) return;
  server = await startAnthropicServer({ rules: deployRules() });
  // The default rollout (canary) with the whole team in the cohort: both teammates get the candidate v2.
  central = await startCentralAsNobody('topology', pgUrl!);
  ({ store, client, temporalAddress } = central);
  expect(central.output()).toContain('Postgres (SKILLOPT_DATABASE_URL)');

  alice = makeTeammate('alice');
  bob = makeTeammate('bob');
  for (const who of [alice, bob]) {
    const install = await skillopt(who, ['hooks', 'install']);
    expect(install.exitCode, `${install.stdout}\n${install.stderr}`).toBe(0);
  }
}, 240_000);

afterAll(async () => {
  for (const who of [alice, bob]) {
    if (who) await until('flushers to exit', () => liveFlusherPid(who.skilloptHome), (pid) => pid === undefined, 15_000).catch(() => undefined);
  }
  await central?.stop();
  await server?.close();
  for (const who of [alice, bob]) if (who) rmSync(who.box.root, { recursive: true, force: true });
}, 60_000);

describe.skipIf(skipReason !== undefined)('a team: the central part as nobody, two teammates with only TEMPORAL_ADDRESS, the real Claude Code CLI', () => {
  it('each teammate machine is in teammate mode, holds no database credentials, and `skillopt doctor` passes', async () => {
    for (const who of [alice, bob]) {
      expect(Object.keys(who.env).filter((k) => /DATABASE|PG/.test(k))).toEqual([]);
      const doctor = await skillopt(who, ['doctor', '--json']);
      const report = JSON.parse(doctor.stdout) as DoctorReport;
      expect(report.mode).toBe('teammate');
      expect(report.checks.filter((c) => c.status === 'fail'), doctor.stdout).toEqual([]);
      expect(doctor.exitCode).toBe(0);
    }
  });

  it("alice's push of the skill's folder (a reference, a script) reaches bob's pull whole", async () => {
    const source = join(alice.box.root, 'src', 'deploy-checklist');
    writeSkillDir(source, 'deploy-checklist', 'Use when deploying services to production', BODY);
    mkdirSync(join(source, 'references'), { recursive: true });
    mkdirSync(join(source, 'scripts'), { recursive: true });
    writeFileSync(join(source, ROLLBACK_PATH), ROLLBACK);
    writeFileSync(join(source, 'scripts', 'smoke.sh'), SMOKE_SCRIPT, { mode: 0o755 });
    const push = await skillopt(alice, ['push', source, '--author', 'alice']);
    expect(push.exitCode, `${push.stdout}\n${push.stderr}`).toBe(0);
    for (const who of [bob, alice]) {
      const pull = await skillopt(who, ['pull']);
      expect(pull.exitCode, `${pull.stdout}\n${pull.stderr}`).toBe(0);
      expect(installed(who)).toMatch(/^version: 1$/m);
      expect(installed(who)).toContain(TESTS_LINE);
      const folder = join(who.box.home, '.claude', 'skills', SKILL);
      expect(readFileSync(join(folder, ROLLBACK_PATH), 'utf8')).toBe(ROLLBACK);
      expect(statSync(join(folder, 'scripts', 'smoke.sh')).mode & 0o777).toBe(0o755);
    }
  });

  let aliceSession = '';

  it("a pushback in alice's session publishes v2: judged and proposed on alice's machine, the transcript never leaves it", async () => {
    const session = await agent(alice, 'deploy the service');
    aliceSession = session.sessionId;
    expect(session.json?.result).toBe('Deployed.');
    await waitFor('the invocation workflow', () => invocation(session.sessionId), (s) => s !== undefined);
    const reaction = await agent(alice, WRONG, { resume: session.sessionId });
    expect(reaction.json?.result).toBe('Sorry: running the tests now.');

    await waitFor('version 2 in the central store', () => store.latestVersion(REF), (v) => v?.version === 2, 90_000);
    const v2 = await store.latestVersion(REF);
    expect(v2?.body).toContain(BETTER_TESTS_LINE);
    expect(v2?.state).toBe('candidate');
    const judged = (await invocationHandle(session.sessionId).result()) as InvocationSummary;
    expect(judged).toMatchObject({ verdict: 'failed', failureReported: true, user: 'alice' });
    expect(await store.verdicts(REF)).toEqual([expect.objectContaining({ outcome: 'failed', user: 'alice', sessionId: session.sessionId, reason: FAILURE_REASON })]);

    // Both model calls went to alice's own queue, served by her flusher's worker with her `claude`.
    const aliceQueue = machineQueue(alice.skilloptHome, alice.env);
    expect(await scheduledOn(invocationHandle(session.sessionId).workflowId, 'judgeReaction')).toEqual([aliceQueue]);
    expect(await scheduledOn(workflowIdForSkill(REF), 'proposeEdit')).toEqual([aliceQueue]);
    expect(server.messageRequests().filter((r) => r.rule === 'judge')).toHaveLength(1);
    expect(server.messageRequests().filter((r) => r.rule === 'proposer')).toHaveLength(1);

    // The central part could not have read it (nobody cannot enter alice's home), and no history holds it.
    const transcript = readdirJsonl(join(alice.box.home, '.claude', 'projects')).find((f) => readFileSync(f, 'utf8').includes(session.sessionId))!;
    expect(readFileSync(transcript, 'utf8')).toContain(AGENT_ONLY_TEXT);
    const asNobody = spawnSync(process.execPath, ['-e', 'require("fs").readFileSync(process.argv[1])', transcript], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
    expect(asNobody.stderr).toContain('EACCES');
    const invocationHistory = await historyText(invocationHandle(session.sessionId).workflowId);
    const laneHistory = await historyText(workflowIdForSkill(REF));
    expect(invocationHistory).toContain(WRONG); // the reaction crosses (redacted, capped)…
    expect(laneHistory).toContain(BETTER_TESTS_LINE); // …and the proposed edit…
    for (const text of [invocationHistory, laneHistory]) expect(text).not.toContain(AGENT_ONLY_TEXT); // …the transcript never does
  }, 150_000);

  it("bob's next session pulls v2; both sessions' attribution rows reach the central store", async () => {
    expect(aliceSession, 'needs the previous test').not.toBe('');
    const hello = await agent(bob, 'hello');
    expect(hello.json?.result).toBe('Hi.');
    await waitFor("v2 in bob's skills folder", () => installed(bob), (t) => /^version: 2$/m.test(t));
    expect(installed(bob)).toContain(BETTER_TESTS_LINE);

    // A resumed session starts again: alice's session has a row per start, each with v1 in context.
    const aliceRows = await waitFor("alice's attribution rows", () => store.attributions(aliceSession), (r) => r.length > 0);
    const bobRows = await waitFor("bob's attribution row", () => store.attributions(hello.sessionId), (r) => r.length > 0);
    for (const [rows, user] of [[aliceRows, 'alice'], [bobRows, 'bob']] as const) {
      for (const row of rows) expect(row).toMatchObject({ user, agent: 'claude_code', skills: [{ ...REF, version: 1 }] });
    }
    expect(bobRows).toHaveLength(1);
  }, 90_000);

  it('a machine offline at its judgment is judged once, after it is back; a signal naming /etc/passwd reads nothing', async () => {
    // bob's events are spooled (no flusher), then delivered as by a flusher that died right after:
    // the judgment waits on bob's queue, where no worker polls.
    const offline = { ...bob.env, SKILLOPT_FLUSHER: '0' };
    const session = await agent(bob, 'deploy the service', { env: offline });
    await agent(bob, PLEASED, { resume: session.sessionId, env: offline });
    await waitFor('earlier flushers to exit', () => liveFlusherPid(bob.skilloptHome), (pid) => pid === undefined, 20_000);
    expect((await drainOutbox(client, bob.skilloptHome, { taskQueue: SHARED_TASK_QUEUE })).remaining).toBe(0);
    expect(listOutbox(bob.skilloptHome)).toEqual([]);
    await waitFor('the reaction in its workflow', () => invocation(session.sessionId), (s) => s?.counters.reactions === 1);

    // Anyone with access to the namespace can signal: two invocations naming /etc/passwd, one routed to
    // bob's queue, one to the shared queue (the central worker's own judge).
    const bobQueue = machineQueue(bob.skilloptHome, bob.env);
    const attacks = await Promise.all([bobQueue, undefined].map((queue, i) => forgeInvocation(`attack-${i}`, queue)));
    const shared = attacks[1]!;
    const refusedCentrally = await waitFor('the shared-queue forgery to be settled', () => shared.query(invocationStateQuery), (s) => s.verdicts.length === 1);
    expect(refusedCentrally.verdicts[0]).toMatchObject({ outcome: 'not-judged' });
    expect(refusedCentrally.verdicts[0]!.reason).toMatch(/not reading \/etc\/passwd: outside the agent transcript folders/);

    await new Promise((r) => setTimeout(r, 3_000));
    expect(await invocation(session.sessionId)).toMatchObject({ verdict: 'pending', verdicts: [] });
    expect(judgeRequestsFor(PLEASED)).toBe(0);

    // bob is back: his next session's start brings up a flusher, whose worker finds both judgments on his queue.
    await agent(bob, 'hello');
    const judged = await waitFor("bob's judgment", () => invocation(session.sessionId), (s) => s?.verdicts.length === 1, 60_000);
    expect(judged!.verdicts[0]).toMatchObject({ outcome: 'passed' });
    const refusedOnBob = await waitFor('the forgery on bob\'s queue to be settled', () => attacks[0]!.query(invocationStateQuery), (s) => s.verdicts.length === 1);
    expect(refusedOnBob.verdicts[0]).toMatchObject({ outcome: 'not-judged' });
    expect(refusedOnBob.verdicts[0]!.reason).toMatch(/not reading \/etc\/passwd: outside the agent transcript folders/);
    await waitFor("bob's flusher to exit", () => liveFlusherPid(bob.skilloptHome), (pid) => pid === undefined, 30_000);

    // Once: one judge request for that reaction, one verdict row; nothing of /etc/passwd reached any model.
    expect(judgeRequestsFor(PLEASED)).toBe(1);
    expect((await store.verdicts(REF)).filter((v) => v.sessionId === session.sessionId)).toEqual([expect.objectContaining({ outcome: 'passed', user: 'bob', skillVersion: 2 })]);
    expect(server.messageRequests().some((r) => r.rawBody.includes('root:x:0:0'))).toBe(false);
    expect((await store.latestVersion(REF))?.version).toBe(2);
  }, 180_000);
});

/** As anyone with namespace access could: an invocation whose events name /etc/passwd, routed to `queue`. */
async function forgeInvocation(sessionId: string, queue: string | undefined) {
  const invoked: InvokedSignal = {
    eventId: `forged-${sessionId}`,
    sessionId,
    toolUseId: `toolu_${sessionId}`,
    user: 'mallory',
    agent: 'claude_code',
    skillVersion: 2,
    transcriptPath: '/etc/passwd',
    transcriptBytes: 4096,
    ...(queue ? { activityQueue: queue } : {}),
  };
  const { eventId: _eventId, ...info } = invoked;
  const handle = await client.workflow.signalWithStart(invocationWorkflow, {
    workflowId: workflowIdForInvocation(REF, sessionId, invoked.toolUseId),
    taskQueue: SHARED_TASK_QUEUE,
    args: [{ ref: REF, invocation: info }],
    signal: invokedSignal,
    signalArgs: [invoked],
  });
  await handle.signal(reactionSignal, { eventId: `forged-reaction-${sessionId}`, sessionId, text: 'that was wrong', transcriptPath: '/etc/passwd', transcriptBytes: 4096 });
  return handle;
}

function readdirJsonl(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.jsonl')).map((f) => join(dir, f));
}
