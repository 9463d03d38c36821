// The whole improvement loop with real parts: a Temporal dev server, the real
// activities, a SQLite store, a real Claude Code transcript, and `claude -p`
// played by a scripted executable (a real process printing canned model output).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeCliModel } from '../../agents/claude-cli';
import { workflowIdForInvocation, workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { dailyModelCalls } from '../../local/model-calls';
import { agentTranscriptRoots } from '../../local/transcript-roots';
import { pullSkills } from '../../sync/pull';
import { openStore, type Store } from '../../store';
import { createSkilloptWorker } from '../../worker/worker';
import {
  SearchAttributes,
  TASK_QUEUE,
  invocationStateQuery,
  invokedSignal,
  laneStateQuery,
  reactionSignal,
  type InvokedSignal,
} from '../../workflows/definitions';
import { invocationWorkflow } from '../../workflows/invocation-workflow';
import { startTestServer, uniqueName, workflowBundle } from '../helpers/temporal';
import { until } from '../helpers/wait';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const FAKE_CLAUDE = join(FIXTURES, 'bin', 'fake-claude');
const FIXTURE_TRANSCRIPT = join(FIXTURES, 'transcripts', 'skill-invocation-then-resumed-correction.jsonl');
const TOOL_USE_ID = 'toolu_01lfyrw5N8vmy7avHD8Pgdla';
const BODY = '# Deploy checklist\n\n1. Run the full test suite and make sure it passes.\n2. Build the release artifact.\n3. Deploy to staging, smoke-test, then deploy to production.\n';

/** Byte offset just after the first line that contains `needle` (what the file held when that entry was written). */
function bytesThrough(path: string, needle: string): number {
  const text = readFileSync(path, 'utf8');
  const at = text.indexOf(needle);
  return Buffer.byteLength(text.slice(0, text.indexOf('\n', at) + 1), 'utf8');
}

let env: TestWorkflowEnvironment;
let dir: string;
let store: Store;
/** The worker machine's Claude Code transcript folder (CLAUDE_CONFIG_DIR=<dir>/claude), the only place the judge reads. */
let roots: string[];
/** A project folder in it, holding the sessions' transcripts. */
let project: string;
let sessionTranscript: string;
/** The roles of the model calls the worker made, in order. */
let modelCalls: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-loop-'));
  roots = agentTranscriptRoots({ CLAUDE_CONFIG_DIR: join(dir, 'claude') });
  project = join(roots[0]!, '-work-app');
  mkdirSync(project, { recursive: true });
  sessionTranscript = join(project, 'session.jsonl');
  copyFileSync(FIXTURE_TRANSCRIPT, sessionTranscript);
  [env, store] = await Promise.all([startTestServer(), openStore({ home: dir })]);
});

afterAll(async () => {
  await store?.close();
  await env?.teardown();
});

interface Scenario {
  judge: unknown[];
  proposer: unknown[];
}

async function runWithWorker<T>(scenario: Scenario, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const script = join(dir, `${uniqueName('script')}.json`);
  writeFileSync(script, JSON.stringify(scenario));
  const cli = claudeCliModel({ bin: FAKE_CLAUDE, env: { ...process.env, FAKE_CLAUDE_SCRIPT: script } });
  modelCalls = [];
  const taskQueue = uniqueName(TASK_QUEUE);
  const worker = await createSkilloptWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    store,
    model: (request) => {
      modelCalls.push(request.role);
      return cli(request);
    },
    transcriptRoots: roots,
    modelCalls: dailyModelCalls({ home: dir, cap: 1000 }),
    taskQueue,
    workflowBundle: await workflowBundle(),
  });
  return worker.runUntil(fn(taskQueue));
}

async function publishSkill(): Promise<SkillRef> {
  const ref = { name: uniqueName('deploy-checklist'), author: 'alice' };
  await store.publishVersion({ ...ref, body: BODY, description: 'Use when deploying services', contributors: ['alice'], createdBy: 'alice', baseVersion: 0 });
  return ref;
}

function invocation(sessionId: string, transcriptPath = sessionTranscript): InvokedSignal {
  return {
    eventId: `inv-${sessionId}`,
    sessionId,
    toolUseId: TOOL_USE_ID,
    user: 'bob',
    agent: 'claude_code',
    skillVersion: 1,
    transcriptPath,
    transcriptBytes: bytesThrough(transcriptPath, TOOL_USE_ID),
  };
}

function reactionTo(sessionId: string, text: string, transcriptPath = sessionTranscript) {
  // UserPromptSubmit fires before the prompt is written: the length ends at the previous reply.
  return { eventId: `react-${sessionId}`, sessionId, text, transcriptPath, transcriptBytes: bytesThrough(transcriptPath, '"type":"last-prompt"') };
}


/** As the flusher does: signal-with-start of the invocation's workflow, then the reaction. */
async function arm(taskQueue: string, ref: SkillRef, invoked: InvokedSignal) {
  const { eventId: _eventId, ...info } = invoked;
  return env.client.workflow.signalWithStart(invocationWorkflow, {
    workflowId: workflowIdForInvocation(ref, invoked.sessionId, invoked.toolUseId),
    taskQueue,
    args: [{ ref, invocation: info }],
    signal: invokedSignal,
    signalArgs: [invoked],
  });
}

async function signalInvocationAndReaction(taskQueue: string, ref: SkillRef, sessionId: string, text: string) {
  const handle = await arm(taskQueue, ref, invocation(sessionId));
  await handle.signal(reactionSignal, reactionTo(sessionId, text));
  return handle;
}

/** The skill's lane once it has nothing queued or running. */
function laneSettled(ref: SkillRef, published: number) {
  const lane = env.client.workflow.getHandle(workflowIdForSkill(ref));
  return until(
    () => lane.query(laneStateQuery).catch(() => undefined),
    (s) => s !== undefined && s.counters.improvementsPublished === published && s.queued === 0 && !s.improving,
  );
}

// fake-claude answers { text } with the JSON text of the value.
const FAILED = { text: { success: 0, confidence: 0.9, reason: 'The assistant deployed without running the test suite.' } };
const PASSED = { text: { success: 1, confidence: 0.8, reason: 'The deploy followed every step.' } };
const STRENGTHEN_TESTS = { text: [
  {
    op: 'replace',
    target: '1. Run the full test suite and make sure it passes.',
    content: '1. Run the full test suite (`npm test`) and paste its summary line; never deploy without a green run.',
  },
] };

describe('improvement loop with real activities', () => {
  it('publishes v2 from a confirmed failure, and the next pull installs it', async () => {
    const ref = await publishSkill();
    await runWithWorker({ judge: [FAILED], proposer: [STRENGTHEN_TESTS] }, async (tq) => {
      const handle = await signalInvocationAndReaction(tq, ref, uniqueName('session'), 'that was wrong, you skipped the tests');
      const summary = await handle.result();
      expect(summary).toMatchObject({ verdict: 'failed', failureReported: true, phase: 'closed' });
      await laneSettled(ref, 1);
      // The Temporal UI's filter for this skill's failed invocations lists it, and only it.
      const failed = await until(
        async () => {
          const ids: string[] = [];
          for await (const wf of env.client.workflow.list({ query: `WorkflowType = "invocationWorkflow" AND SkillRef = "${ref.name}--${ref.author}" AND Verdict = "failed"` })) ids.push(wf.workflowId);
          return ids;
        },
        (ids) => ids.length > 0,
      );
      expect(failed).toEqual([handle.workflowId]);
    });
    const latest = await store.latestVersion(ref);
    expect(latest?.version).toBe(2);
    expect(latest?.body).toContain('never deploy without a green run');
    expect(latest?.body).not.toContain('make sure it passes');
    expect(latest?.contributors).toEqual(['alice', 'skillopt']);
    const [edit] = await store.recentEdits(ref, 5);
    expect(edit).toMatchObject({ baseVersion: 1, publishedVersion: 2, status: 'proposed' });
    const [verdict] = await store.verdicts(ref);
    expect(verdict).toMatchObject({ outcome: 'failed', skillVersion: 1, toolUseId: TOOL_USE_ID, user: 'bob' });

    const home = mkdtempSync(join(tmpdir(), 'skillopt-home-'));
    await pullSkills({ store, scope: 'user', cwd: home, home, skilloptHome: join(home, '.skillopt'), force: false, dryRun: false });
    const installed = readFileSync(join(home, '.claude', 'skills', `${ref.name}--alice`, 'SKILL.md'), 'utf8');
    expect(installed).toContain('version: 2');
    expect(installed).toContain('never deploy without a green run');
  });

  it('publishes nothing when the judge says the task went well', async () => {
    const ref = await publishSkill();
    await runWithWorker({ judge: [PASSED], proposer: [STRENGTHEN_TESTS] }, async (tq) => {
      const handle = await signalInvocationAndReaction(tq, ref, uniqueName('session'), 'great, thanks');
      await until(() => handle.query(invocationStateQuery), (s) => s.verdicts.length === 1 && s.queued === 0);
      expect((await handle.query(invocationStateQuery)).verdict).toBe('passed');
    });
    expect((await store.latestVersion(ref))?.version).toBe(1);
    expect(await store.recentEdits(ref, 5)).toEqual([]);
    expect((await store.verdicts(ref)).map((v) => v.outcome)).toEqual(['passed']);
  });

  it('a missing transcript ends that judgment as not judged, with its reason, in the store and the Verdict attribute', async () => {
    const ref = await publishSkill();
    await runWithWorker({ judge: [FAILED], proposer: [STRENGTHEN_TESTS] }, async (tq) => {
      const sessionId = uniqueName('session');
      const missing = join(project, 'no-such-transcript.jsonl');
      const handle = await arm(tq, ref, { ...invocation(sessionId), transcriptPath: missing });
      await handle.signal(reactionSignal, { ...reactionTo(sessionId, 'wrong'), transcriptPath: missing });
      await until(() => handle.query(invocationStateQuery), (s) => s.verdicts.length === 1 && s.queued === 0);
      expect((await handle.describe()).typedSearchAttributes.get(SearchAttributes.verdict)).toBe('not-judged');
    });
    const [verdict] = await store.verdicts(ref);
    expect(verdict?.outcome).toBe('not-judged');
    expect(verdict?.confidence).toBe(0);
    expect(verdict?.reason).toMatch(/transcript not readable/);
    expect((await store.latestVersion(ref))?.version).toBe(1);
  });

  it('a signal naming /etc/passwd ends that invocation as not judged, with the reason, and nothing is read or asked', async () => {
    const ref = await publishSkill();
    const outside = '/etc/passwd';
    await runWithWorker({ judge: [FAILED], proposer: [STRENGTHEN_TESTS] }, async (tq) => {
      const sessionId = uniqueName('session');
      // As anyone with access to the namespace could send them: the invocation and the reaction name a file outside.
      const handle = await arm(tq, ref, { ...invocation(sessionId), transcriptPath: outside, transcriptBytes: 1 << 20 });
      await handle.signal(reactionSignal, { ...reactionTo(sessionId, 'wrong'), transcriptPath: outside, transcriptBytes: 1 << 20 });
      await until(() => handle.query(invocationStateQuery), (s) => s.verdicts.length === 1 && s.queued === 0);
      expect((await handle.describe()).typedSearchAttributes.get(SearchAttributes.verdict)).toBe('not-judged');
      // Refused at once (non-retryable): one attempt of judgeReaction, failed with the refusal's type.
      const events = (await handle.fetchHistory()).events ?? [];
      const failed = events.filter((e) => e.activityTaskFailedEventAttributes);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.activityTaskFailedEventAttributes!.failure?.applicationFailureInfo?.type).toBe('TranscriptOutsideRoots');
    });
    const [verdict] = await store.verdicts(ref);
    expect(verdict).toMatchObject({ outcome: 'not-judged', confidence: 0 });
    expect(verdict?.reason).toBe(`not judged: not reading ${outside}: outside the agent transcript folders; the judge reads only .jsonl files under ${roots[0]}`);
    expect(verdict?.reason).not.toMatch(/root:/);
    expect(modelCalls).toEqual([]);
    expect((await store.latestVersion(ref))?.version).toBe(1);
  });

  it('two sessions failing at the same moment make one version per improvement, never two with one number', async () => {
    const ref = await publishSkill();
    const sessions = Array.from({ length: 6 }, () => uniqueName('session'));
    const transcripts = sessions.map((s) => {
      const path = join(project, `${s}.jsonl`);
      copyFileSync(sessionTranscript, path);
      return path;
    });
    await runWithWorker({ judge: [FAILED], proposer: [STRENGTHEN_TESTS, { text: [{ op: 'append', content: 'Always link the CI run.' }] }, { text: [] }] }, async (tq) => {
      const handles = await Promise.all(
        sessions.map((sessionId, i) =>
          arm(tq, ref, invocation(sessionId, transcripts[i])).then(async (h) => {
            await h.signal(reactionSignal, reactionTo(sessionId, 'you skipped the tests', transcripts[i]));
            return h;
          }),
        ),
      );
      for (const h of handles) expect((await h.result()).verdict).toBe('failed');
      const lane = env.client.workflow.getHandle(workflowIdForSkill(ref));
      await until(
        () => lane.query(laneStateQuery),
        (s) => s.counters.failureReports === sessions.length && s.queued === 0 && !s.improving,
      );
    });
    const history = await store.history(ref);
    const versions = history.map((v) => v.version);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
    const edits = await store.recentEdits(ref, 10);
    expect(history.length).toBeGreaterThanOrEqual(2);
    expect(edits).toHaveLength(history.length - 1);
    expect(new Set(edits.map((e) => e.fingerprint)).size).toBe(edits.length);
  });
});
