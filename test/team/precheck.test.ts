// The pre-publish check in a team (issue 19, item 5), set up as
// topology.test.ts sets a team up: the central part (`skillopt up` with the
// store on Postgres) runs as the user `nobody`, with SKILLOPT_PRECHECK=on; two
// teammates, alice and bob, each with their own HOME and only Temporal
// settings, run the real Claude Code CLI. Each teammate's `claude` talks to a
// scripted Messages API of its own (alice's server, bob's server), so which
// machine read a transcript and asked its model is on the record of the server
// that was asked.
//
// The scripted model: the judge passes alice's pleased reaction and fails bob's
// pushback; the proposer's first edit drops the staging step (the check for
// alice's pass says it makes her session worse), its second, which sees the
// check's reasons, tags the artifact (it keeps the pass but does not address
// bob's failure), and a later one makes the test run verifiable (addresses it).
//
// The lane waits 2 minutes (its default) for a machine to pick a model call
// up; the test of an offline machine restarts the idle lane with 20 s (a
// lane's input config, nothing else changes), to keep the file quick.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { decodeTimeoutType } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_TASK_QUEUE } from '../../core/messages';
import { workflowIdForInvocation, workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { liveFlusherPid } from '../../local/outbox/flusher-lock';
import { machineQueue } from '../../local/mode';
import type { Store } from '../../store/open-store';
import { SKILL_WORKFLOW_TYPE, invocationStateQuery, laneStateQuery, type LaneState } from '../../workflows/definitions';
import { match, startAnthropicServer, type AnthropicServer, type MessagesRequest, type RecordedRequest, type Rule } from '../fixtures/anthropic-server';
import { AGENT_ONLY_TEXT, BETTER_TESTS_LINE, BODY, FAILURE_REASON, PLEASED, SKILL, SKILL_NAME, TESTS_LINE, WRONG, deployRules } from '../e2e/deploy-skill';
import { hooksLogTail, onlyToolUseId, until, writeSkillDir } from '../e2e/helpers';
import { cannotRunAsNobody, startCentralAsNobody, type CentralAsNobody } from './nobody';
import { installedSkill, makeTeammate as makeTeammateMachine, skillopt as runSkillopt, teammateSession, untilInTeam, type Teammate } from './teammate-machine';

const pgUrl = process.env.SKILLOPT_TEST_DATABASE_URL?.trim() || undefined;

function cannotRun(): string | undefined {
  if (!pgUrl) return 'needs SKILLOPT_TEST_DATABASE_URL (the central store is Postgres; .ci/run sets it)';
  return cannotRunAsNobody();
}
const skipReason = cannotRun();
if (skipReason) console.warn(`team pre-publish check test skipped: ${skipReason}`);

const REF: SkillRef = { name: SKILL_NAME, author: 'alice' };
const LANE_ID = workflowIdForSkill(REF);
/** How long the lane of the offline test waits for a machine to pick a model call up (the default is 2 min). */
const SCHEDULE_TO_START_MS = 20_000;

// The proposer's edits, in the order the lane asks for them.
const STAGING_LINE = '3. Deploy to staging, smoke-test, then deploy to production.';
/** First attempt: drops staging (makes alice's passing deploy worse). */
const SKIP_STAGING_LINE = '3. Deploy straight to production; skip staging to save time.';
/** Second attempt (it saw the check's reasons): keeps the pass, does not address the skipped tests. */
const BUILD_LINE = '2. Build the release artifact.';
const TAGGED_BUILD_LINE = '2. Build the release artifact and tag it with the commit hash.';
// A later proposal makes the test run verifiable: TESTS_LINE → BETTER_TESTS_LINE (addresses bob's failure).

const WORSE_REASON = 'Dropping staging removes the smoke test this deploy passed through.';
const KEEPS_REASON = 'The edited checklist keeps every step this deploy used.';
const NOT_ADDRESSED_REASON = 'The edit does not make the test run verifiable, so tests can still be skipped.';
const ADDRESSED_REASON = 'The edit requires a pasted test summary before deploying.';

/** The diff the check is shown (between its <diff> fences). */
function diffOf(req: MessagesRequest): string {
  return /<diff>\n([\s\S]*?)\n<\/diff>/.exec(req.lastUserText)?.[1] ?? '';
}

/** The transcript window the check is shown. */
function transcriptOf(req: MessagesRequest): string {
  return /<transcript>\n([\s\S]*?)\n<\/transcript>/.exec(req.lastUserText)?.[1] ?? '';
}

function checkKind(req: MessagesRequest): 'pass' | 'failure' | undefined {
  if (req.lastUserText.includes('{"worse":0|1')) return 'pass';
  if (req.lastUserText.includes('{"addressed":0|1')) return 'failure';
  return undefined;
}

function edit(target: string, content: string): string {
  return ['One weakness in the checklist.', '```json', JSON.stringify([{ op: 'replace', target, content }]), '```'].join('\n');
}

/** The pre-publish check and the proposer, ahead of deployRules() (whose judge would otherwise answer the check: both are "strict engineering reviewer"s). */
function precheckRules(): Rule[] {
  return [
    {
      name: 'precheck',
      match: match.systemIncludes('checking an edit to a skill'),
      reply: (req) => {
        const diff = diffOf(req);
        if (checkKind(req) === 'pass') {
          const worse = diff.includes(SKIP_STAGING_LINE);
          return { text: JSON.stringify({ worse: worse ? 1 : 0, reason: worse ? WORSE_REASON : KEEPS_REASON }) };
        }
        const addressed = diff.includes(BETTER_TESTS_LINE);
        return { text: JSON.stringify({ addressed: addressed ? 1 : 0, reason: addressed ? ADDRESSED_REASON : NOT_ADDRESSED_REASON }) };
      },
    },
    {
      name: 'proposer',
      match: match.systemIncludes('JSON array'),
      reply: (req) => {
        if (req.lastUserText.includes('[turned down by the pre-publish check]')) return { text: edit(BUILD_LINE, TAGGED_BUILD_LINE) };
        if (req.lastUserText.includes('ALREADY TRIED')) return { text: edit(TESTS_LINE, BETTER_TESTS_LINE) };
        return { text: edit(STAGING_LINE, SKIP_STAGING_LINE) };
      },
    },
    ...deployRules(),
  ];
}

let aliceServer: AnthropicServer;
let bobServer: AnthropicServer;
let central: CentralAsNobody | undefined;
let temporalAddress: string;
let client: Client;
let store: Store;
let alice: Teammate;
let bob: Teammate;
let sampler: NodeJS.Timeout | undefined;
/** Every version each teammate's installed SKILL.md was seen at (sampled every 100 ms for the whole file). */
const installedVersions = new Map<string, Set<number>>();
/** Every flusher process seen on each teammate's machine (its worker is the machine's worker). */
const flusherPids = new Map<string, Set<number>>();

const skillopt = (who: Teammate, args: string[], env: Record<string, string> = who.env) => runSkillopt(who, args, env, 60_000);
const serverOf = (who: Teammate): AnthropicServer => (who === alice ? aliceServer : bobServer);
const queueOf = (who: Teammate): string => machineQueue(who.skilloptHome, who.env);

const agent = teammateSession;

const installed = (who: Teammate): string => installedSkill(who, SKILL);

function installedVersion(who: Teammate): number | undefined {
  const v = /^version: (\d+)$/m.exec(installed(who))?.[1];
  return v === undefined ? undefined : Number(v);
}

function sample(): void {
  for (const who of [alice, bob]) {
    const version = installedVersion(who);
    if (version !== undefined) installedVersions.get(who.name)!.add(version);
    const pid = liveFlusherPid(who.skilloptHome);
    if (pid !== undefined) flusherPids.get(who.name)!.add(pid);
  }
}

/** until(), with the central part's output and the teammates' hook logs when it times out. */
function waitFor<T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  return untilInTeam({ centralOutput: () => central?.output() ?? '', teammates: [alice, bob] }, what, fn, ok, timeoutMs);
}

/** One activity of a workflow, as its history tells it. */
interface ActivityRecord {
  type: string;
  queue: string;
  input: Record<string, unknown>;
  outcome?: 'completed' | 'failed' | 'timed-out' | 'canceled';
  /** The identity of the worker that ran it (`<pid>@<host>`), once it ended. */
  ranBy?: string;
  /** How long it waited on its queue for a worker, once it ended. */
  waitedMs?: number;
  result?: Record<string, unknown>;
  timeoutType?: string;
}

function payloadJson(payloads: { payloads?: { data?: Uint8Array | null }[] | null } | null | undefined): Record<string, unknown> {
  const data = payloads?.payloads?.[0]?.data;
  // A void result is binary/null, with no data.
  return data && data.length > 0 ? (JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>) : {};
}

/** The activities of a workflow's history: where each was scheduled, who ran it, how it ended. */
async function activitiesOf(workflowId: string, type?: string): Promise<ActivityRecord[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const byId = new Map<string, ActivityRecord>();
  const scheduledAt = new Map<string, number>();
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      byId.set(String(e.eventId), { type: scheduled.activityType!.name!, queue: scheduled.taskQueue!.name!, input: payloadJson(scheduled.input) });
      scheduledAt.set(String(e.eventId), millis(e.eventTime));
      continue;
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const id = String(started.scheduledEventId);
      Object.assign(byId.get(id)!, { ranBy: started.identity ?? undefined, waitedMs: millis(e.eventTime) - scheduledAt.get(id)! });
    }
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed) Object.assign(byId.get(String(completed.scheduledEventId))!, { outcome: 'completed', result: payloadJson(completed.result) });
    const failed = e.activityTaskFailedEventAttributes;
    if (failed) byId.get(String(failed.scheduledEventId))!.outcome = 'failed';
    const timedOut = e.activityTaskTimedOutEventAttributes;
    if (timedOut) Object.assign(byId.get(String(timedOut.scheduledEventId))!, { outcome: 'timed-out', timeoutType: decodeTimeoutType(timedOut.failure?.timeoutFailureInfo?.timeoutType) });
    const canceled = e.activityTaskCanceledEventAttributes;
    if (canceled) byId.get(String(canceled.scheduledEventId))!.outcome = 'canceled';
  }
  return [...byId.values()].filter((a) => type === undefined || a.type === type);
}

function millis(time: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(String(time?.seconds ?? 0)) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}

const checkKindOf = (a: ActivityRecord) => a.input.kind as string;
const checkUserOf = (a: ActivityRecord) => (a.input.invocation as { user: string }).user;

/** A workflow's history as text, its payloads decoded. */
async function historyText(workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(history, (key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (key === 'data' && typeof value === 'string') return Buffer.from(value, 'base64').toString('utf8');
    return value;
  });
}

function lane(): Promise<LaneState> {
  return client.workflow.getHandle(LANE_ID).query(laneStateQuery);
}

/** The check requests a server received, by kind. */
function checkRequests(server: AnthropicServer, kind?: 'pass' | 'failure'): RecordedRequest[] {
  return server.messageRequests().filter((r) => r.rule === 'precheck' && (kind === undefined || checkKind(r.messages!) === kind));
}

/**
 * People starting sessions: while `done` is false, a teammate whose machine
 * has no flusher running and a model call of the lane waiting on its queue
 * opens a session ("hello"), whose flusher finds the call there and serves it.
 * Nothing else happens on their machines.
 */
async function comeBackWhenNeeded(machines: Teammate[], done: () => Promise<boolean>, timeoutMs: number): Promise<Map<string, number>> {
  const returns = new Map<string, number>();
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out; lane: ${JSON.stringify(await lane().catch(String))}\n--- central ---\n${central?.output().slice(-3000)}\n--- alice ---\n${hooksLogTail(alice.box.home)}\n--- bob ---\n${hooksLogTail(bob.box.home)}`);
    const waiting = (await activitiesOf(LANE_ID)).filter((a) => a.outcome === undefined);
    for (const who of machines) {
      if (!waiting.some((a) => a.queue === queueOf(who)) || liveFlusherPid(who.skilloptHome) !== undefined) continue;
      const hello = await agent(who, 'hello');
      expect(hello.json?.result).toBe('Hi.');
      returns.set(who.name, (returns.get(who.name) ?? 0) + 1);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return returns;
}

/** A session that invokes the shared skill, then the user's reaction; the invocation's workflow id. */
async function deployAndReact(who: Teammate, reaction: string, env = who.env): Promise<string> {
  const session = await agent(who, 'deploy the service', { env });
  expect(session.json?.result).toBe('Deployed.');
  const workflowId = workflowIdForInvocation(REF, session.sessionId, onlyToolUseId(serverOf(who), session.sessionId));
  const handle = client.workflow.getHandle(workflowId);
  await waitFor('the invocation workflow', () => handle.query(invocationStateQuery).catch(() => undefined), (s) => s !== undefined);
  await agent(who, reaction, { resume: session.sessionId, env });
  return workflowId;
}

beforeAll(async () => {
  if (skipReason) return;
  [aliceServer, bobServer] = await Promise.all([startAnthropicServer({ rules: precheckRules() }), startAnthropicServer({ rules: precheckRules() })]);
  // The central worker checks every edit (the default, said here) against up to 3 held-out passes.
  central = await startCentralAsNobody('precheck', pgUrl!, { SKILLOPT_PRECHECK: 'on', SKILLOPT_PRECHECK_HELD_OUT: '3' });
  ({ store, client, temporalAddress } = central);

  alice = makeTeammateMachine('alice', { temporalAddress, modelUrl: aliceServer.url });
  bob = makeTeammateMachine('bob', { temporalAddress, modelUrl: bobServer.url });
  for (const who of [alice, bob]) {
    installedVersions.set(who.name, new Set());
    flusherPids.set(who.name, new Set());
    const install = await skillopt(who, ['hooks', 'install']);
    expect(install.exitCode, `${install.stdout}\n${install.stderr}`).toBe(0);
  }
  sampler = setInterval(sample, 100);
}, 240_000);

afterAll(async () => {
  if (sampler) clearInterval(sampler);
  for (const who of [alice, bob]) {
    if (!who) continue;
    await until('flushers to exit', () => liveFlusherPid(who.skilloptHome), (pid) => pid === undefined, 40_000).catch(() => undefined);
    // A flusher this test's sessions started and that is still serving: stopped (it releases its lock on SIGTERM).
    const pid = liveFlusherPid(who.skilloptHome);
    if (pid !== undefined) process.kill(pid, 'SIGTERM');
  }
  await central?.stop();
  await aliceServer?.close();
  await bobServer?.close();
  for (const who of [alice, bob]) if (who) rmSync(who.box.root, { recursive: true, force: true });
}, 90_000);

describe.skipIf(skipReason !== undefined)('the pre-publish check in a team: the central part as nobody with SKILLOPT_PRECHECK=on, two teammates, the real Claude Code CLI', () => {
  let alicePassSession = '';

  it('an edit that makes a held-out passing session worse never reaches anyone; the check of each transcript runs on the machine that holds it', async () => {
    const source = join(alice.box.root, 'src', SKILL_NAME);
    writeSkillDir(source, SKILL_NAME, 'Use when deploying services to production', BODY);
    mkdirSync(join(source, 'references'), { recursive: true });
    writeFileSync(join(source, 'references', 'rollback.md'), '# Rollback\n\n1. Redeploy the previous release tag.\n');
    const push = await skillopt(alice, ['push', source, '--author', 'alice']);
    expect(push.exitCode, `${push.stdout}\n${push.stderr}`).toBe(0);
    for (const who of [alice, bob]) {
      const pull = await skillopt(who, ['pull']);
      expect(pull.exitCode, `${pull.stdout}\n${pull.stderr}`).toBe(0);
      expect(installedVersion(who)).toBe(1);
    }
    const [aliceQueue, bobQueue] = [queueOf(alice), queueOf(bob)];

    // alice's deploy passes: judged on her machine, a passing verdict whose evidence points at her machine.
    const aliceInvocation = await deployAndReact(alice, PLEASED);
    const verdicts = await waitFor("alice's passing verdict", () => store.verdicts(REF), (vs) => vs.some((v) => v.user === 'alice' && v.outcome === 'passed'));
    expect(verdicts).toHaveLength(1);
    const passed = verdicts[0];
    alicePassSession = passed!.sessionId;
    expect(passed).toMatchObject({ user: 'alice', outcome: 'passed', skillVersion: 1 });
    expect(passed!.evidence?.invocation.activityQueue).toBe(aliceQueue);
    expect(passed!.evidence?.reaction.text).toBe(PLEASED);
    expect(passed!.evidence?.invocation.transcriptPath.startsWith(alice.box.home)).toBe(true);
    expect((await activitiesOf(aliceInvocation, 'judgeReaction')).map((a) => [a.queue, a.outcome])).toEqual([[aliceQueue, 'completed']]);
    // Then alice goes away: no flusher, no worker on her machine.
    await waitFor("alice's flusher to exit", () => liveFlusherPid(alice.skilloptHome), (pid) => pid === undefined, 30_000);

    // bob's deploy is pushed back on: his machine judges it a failure, and proposes the first edit.
    const bobInvocation = await deployAndReact(bob, WRONG);
    const bobJudged = await waitFor("bob's judgment", () => activitiesOf(bobInvocation, 'judgeReaction'), (as) => as.some((a) => a.outcome !== undefined));
    expect(bobJudged.map((a) => [a.queue, a.outcome])).toEqual([[bobQueue, 'completed']]);

    // The check of that edit: bob's failure is answered on bob's machine at once; alice's pass waits on her queue
    // (while nothing is published) until alice is back.
    const firstChecks = await waitFor(
      'the first edit checked on both machines',
      () => activitiesOf(LANE_ID, 'checkEdit'),
      (cs) => cs.length === 2 && cs.some((c) => checkKindOf(c) === 'failure' && c.outcome === 'completed'),
      90_000,
    );
    const pending = firstChecks.find((c) => checkKindOf(c) === 'pass')!;
    expect(pending.queue).toBe(aliceQueue);
    expect(pending.outcome, 'answered while alice was away').toBeUndefined();
    expect(checkUserOf(pending)).toBe('alice');
    expect(liveFlusherPid(alice.skilloptHome)).toBeUndefined();
    expect(checkRequests(aliceServer)).toHaveLength(0);
    expect((await store.latestVersion(REF))?.version).toBe(1);

    // alice opens a session; her flusher's worker finds the check on her queue. Whenever the lane waits
    // on a machine that has gone quiet since, its owner opens a session too, until both attempts are decided.
    const returns = await comeBackWhenNeeded([alice, bob], async () => {
      const now = await lane();
      return (now.counters.rejectedByCheck ?? 0) >= 2 && !now.improving;
    }, 150_000);
    expect(returns.get('alice')).toBeGreaterThanOrEqual(1);

    // Both attempts are recorded rejected, decided by the pre-publish check; nothing was published.
    const laneNow = await lane();
    expect(laneNow.counters).toMatchObject({ rejectedByCheck: 2, improvementsPublished: 0, proposals: 1 });
    const [v2, v3] = [await store.getVersion(REF, 2), await store.getVersion(REF, 3)];
    expect(v2?.state).toBe('rejected');
    expect(v2?.body).toContain(SKIP_STAGING_LINE);
    expect(v3?.state).toBe('rejected');
    expect(v3?.body).toContain(TAGGED_BUILD_LINE);
    expect(v3?.body).not.toContain(SKIP_STAGING_LINE);
    expect(await store.getVersion(REF, 4)).toBeUndefined();
    expect((await store.stableVersion(REF))?.version).toBe(1);

    // `skillopt skills history` (bob's, through Temporal) says who turned each down and why.
    const history = await skillopt(bob, ['skills', 'history', `${SKILL_NAME}--alice`, '--json']);
    expect(history.exitCode, history.stderr).toBe(0);
    const rows = JSON.parse(history.stdout) as { version: number; state: string; transitions: { to: string; decidedBy: string; reason: string }[] }[];
    const row = (n: number) => rows.find((r) => r.version === n)!;
    expect(row(1).state).toBe('stable');
    for (const n of [2, 3]) {
      expect(row(n).state).toBe('rejected');
      expect(row(n).transitions.at(-1)).toMatchObject({ to: 'rejected', decidedBy: 'the pre-publish check' });
    }
    expect(row(2).transitions.at(-1)!.reason).toContain('addressed 0 of 1 failure, made worse 1 of 1 pass');
    expect(row(2).transitions.at(-1)!.reason).toContain(`makes a passing session worse: ${WORSE_REASON}`);
    expect(row(3).transitions.at(-1)!.reason).toContain('addressed 0 of 1 failure, made worse 0 of 1 pass');
    expect(row(3).transitions.at(-1)!.reason).toContain(`does not address: ${NOT_ADDRESSED_REASON}`);
    const table = await skillopt(bob, ['skills', 'history', `${SKILL_NAME}--alice`]);
    expect(table.stdout).toMatch(/v2\s+rejected.*the pre-publish check: turned down before anyone got it/);

    // The second proposal (on bob's machine, whose failure it is) was told why the first was turned down.
    const proposals = bobServer.messageRequests().filter((r) => r.rule === 'proposer');
    expect(proposals).toHaveLength(2);
    expect(aliceServer.messageRequests().filter((r) => r.rule === 'proposer')).toHaveLength(0);
    expect(proposals[0]!.messages!.lastUserText).not.toContain('turned down by the pre-publish check');
    expect(proposals[1]!.messages!.lastUserText).toContain(`[turned down by the pre-publish check] makes a passing session worse: ${WORSE_REASON}`);
    expect(proposals[1]!.messages!.lastUserText).toContain(`[turned down by the pre-publish check] does not address: ${NOT_ADDRESSED_REASON}`);
    expect((await activitiesOf(LANE_ID, 'proposeEdit')).map((a) => a.queue)).toEqual([bobQueue, bobQueue]);

    // Where each check ran: scheduled on the queue of the machine that holds the transcript, run by that
    // machine's flusher (its worker's identity), asked of that machine's model; never the central worker.
    const checks = await activitiesOf(LANE_ID, 'checkEdit');
    expect(checks).toHaveLength(4);
    for (const check of checks) {
      const owner = checkUserOf(check) === 'alice' ? alice : bob;
      expect(check.queue).toBe(queueOf(owner));
      expect(check.queue).not.toBe(SHARED_TASK_QUEUE);
      expect(check.outcome, `${checkKindOf(check)} of ${owner.name} waited ${check.waitedMs} ms`).toBe('completed');
      expect(check.result).toMatchObject({ kind: checkKindOf(check) });
      expect(check.result!.answer).not.toBe('none');
      const [pid, host] = check.ranBy!.split('@');
      expect(host).toBe(hostname());
      expect([...flusherPids.get(owner.name)!], `${check.ranBy} ran ${checkKindOf(check)} of ${owner.name}`).toContain(Number(pid));
    }
    expect(checks.filter((c) => checkKindOf(c) === 'pass').map(checkUserOf)).toEqual(['alice', 'alice']);
    expect(checks.filter((c) => checkKindOf(c) === 'failure').map(checkUserOf)).toEqual(['bob', 'bob']);
    // alice's model saw only her passing session, bob's only his failing one; each window holds the session
    // (the agent's own words), the reaction and the edit.
    expect(checkRequests(aliceServer)).toHaveLength(2);
    expect(checkRequests(aliceServer, 'pass')).toHaveLength(2);
    expect(checkRequests(bobServer)).toHaveLength(2);
    expect(checkRequests(bobServer, 'failure')).toHaveLength(2);
    for (const r of checkRequests(aliceServer)) {
      expect(transcriptOf(r.messages!)).toContain(PLEASED);
      expect(transcriptOf(r.messages!)).toContain(AGENT_ONLY_TEXT);
      expect(transcriptOf(r.messages!)).not.toContain(WRONG);
    }
    for (const r of checkRequests(bobServer)) {
      expect(transcriptOf(r.messages!)).toContain(WRONG);
      expect(transcriptOf(r.messages!)).not.toContain(PLEASED);
    }
    expect(diffOf(checkRequests(aliceServer)[0]!.messages!)).toContain(`+${SKIP_STAGING_LINE}`);
    expect(diffOf(checkRequests(aliceServer)[1]!.messages!)).toContain(`+${TAGGED_BUILD_LINE}`);
    // The transcripts never crossed: the lane's history has the answers' reasons, not the sessions.
    const laneHistory = await historyText(LANE_ID);
    expect(laneHistory).toContain(WORSE_REASON);
    expect(laneHistory).not.toContain(AGENT_ONLY_TEXT);

    // Nobody got a rejected version: every session start and pull left v1 installed.
    for (const who of [alice, bob]) {
      const pull = await skillopt(who, ['pull']);
      expect(pull.exitCode, `${pull.stdout}\n${pull.stderr}`).toBe(0);
      expect(installedVersion(who)).toBe(1);
      expect(installed(who)).toContain(STAGING_LINE);
      expect(installed(who)).not.toContain(SKIP_STAGING_LINE);
      expect([...installedVersions.get(who.name)!]).toEqual([1]);
    }
    // bob's failure was judged by bob's model, alice's pass by hers.
    expect(judgeRequestsOf(bobServer, FAILURE_REASON)).toBe(1);
    expect(judgeRequestsOf(aliceServer, FAILURE_REASON)).toBe(0);
  }, 240_000);

  it("a machine that is offline when its held-out pass is checked is counted unanswered; the lane goes on", async () => {
    expect(alicePassSession, 'needs the previous test').not.toBe('');
    const aliceQueue = queueOf(alice);
    // alice is away for the whole of this test: no flusher, no worker on her machine.
    await waitFor('the flushers to exit', () => [liveFlusherPid(alice.skilloptHome), liveFlusherPid(bob.skilloptHome)], (pids) => pids.every((p) => p === undefined), 30_000);
    const aliceFlushers = new Set(flusherPids.get('alice'));
    const aliceRequests = aliceServer.messageRequests().length;
    // The lane is idle (what must outlive a run is in the store); it is replaced by a run that waits 20 s for a machine.
    const idle = await lane();
    expect(idle).toMatchObject({ queued: 0, waiting: 0, improving: false });
    expect(idle.rollout).toBeUndefined();
    await client.workflow.getHandle(LANE_ID).terminate('the test restarts the idle lane with a short schedule-to-start');
    await client.workflow.start(SKILL_WORKFLOW_TYPE, {
      workflowId: LANE_ID,
      taskQueue: SHARED_TASK_QUEUE,
      args: [{ ref: REF, config: { routedScheduleToStartMs: SCHEDULE_TO_START_MS } }],
    });

    const reactedAt = Date.now();
    // bob is at his machine: his worker stays on 30 s after its last model call.
    await deployAndReact(bob, WRONG, { ...bob.env, SKILLOPT_WORKER_GRACE_MS: '30000' });
    // bob's machine proposes (a new edit: the proposer sees what was tried) and answers for his failure (bob opens a
    // session should his machine have gone quiet meanwhile); alice's pass is asked on her queue, where nothing polls.
    await comeBackWhenNeeded([bob], async () => (await store.getVersion(REF, 4)) !== undefined, SCHEDULE_TO_START_MS + 60_000);
    const tookMs = Date.now() - reactedAt;
    const v4 = await store.getVersion(REF, 4);
    expect(v4!.state).toBe('candidate');
    expect(v4!.body).toContain(BETTER_TESTS_LINE);

    const checks = await activitiesOf(LANE_ID, 'checkEdit');
    expect(checks).toHaveLength(2);
    const alicePass = checks.find((c) => checkKindOf(c) === 'pass')!;
    expect(alicePass).toMatchObject({ queue: aliceQueue, outcome: 'timed-out', timeoutType: 'SCHEDULE_TO_START' });
    expect((alicePass.input.reaction as { eventId: string }).eventId).toBeTypeOf('string');
    expect(checkUserOf(alicePass)).toBe('alice');
    const bobFailure = checks.find((c) => checkKindOf(c) === 'failure')!;
    expect(bobFailure).toMatchObject({ queue: queueOf(bob), outcome: 'completed', result: { kind: 'failure', answer: 'yes' } });
    // Not stalled: published once the short schedule-to-start ran out, not after alice came back (she did not).
    expect(tookMs).toBeGreaterThanOrEqual(SCHEDULE_TO_START_MS);
    expect(tookMs).toBeLessThan(SCHEDULE_TO_START_MS + 60_000);
    expect(flusherPids.get('alice')).toEqual(aliceFlushers);
    expect(aliceServer.messageRequests().length).toBe(aliceRequests);

    // The version's record, as `skillopt skills history` shows it, says the pass was unanswered.
    const history = await skillopt(bob, ['skills', 'history', `${SKILL_NAME}--alice`, '--json']);
    expect(history.exitCode, history.stderr).toBe(0);
    const rows = JSON.parse(history.stdout) as { version: number; state: string; transitions: { to: string; decidedBy: string; reason: string }[] }[];
    const v4Row = rows.find((r) => r.version === 4)!;
    expect(v4Row.state).toBe('candidate');
    expect(v4Row.transitions.at(-1)!.reason).toBe('proposed from failure reports; pre-publish check: addressed 1 of 1 failure, made worse 0 of 0 passes, unanswered 1');
    // This run of the lane proposed once, was answered, and turned nothing down.
    expect((await lane()).counters).toMatchObject({ proposals: 1, rejectedByCheck: 0, unansweredProposals: 0 });
    // The lane's own log line on the central worker says which machine did not answer.
    expect(central!.output()).toMatch(new RegExp(`checkEdit on ${aliceQueue} failed[^}]*ScheduleToStart timeout`));

    // The candidate that passed the check reaches the team (the whole team is the canary cohort); the rejected ones never did.
    const pull = await skillopt(bob, ['pull']);
    expect(pull.exitCode, `${pull.stdout}\n${pull.stderr}`).toBe(0);
    expect(installedVersion(bob)).toBe(4);
    for (const who of [alice, bob]) {
      expect(installedVersions.get(who.name)!.has(2)).toBe(false);
      expect(installedVersions.get(who.name)!.has(3)).toBe(false);
    }
  }, 180_000);
});

/** The judge requests on a server whose answer was this failure reason. */
function judgeRequestsOf(server: AnthropicServer, reason: string): number {
  return server.messageRequests().filter((r) => r.rule === 'judge' && (r.reply?.text ?? '').includes(reason)).length;
}
