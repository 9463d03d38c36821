// The activities: every side effect of the two workflows. Built by a factory
// that takes its clients, so tests and the worker pass real ones in.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ModelCall, ModelRequest } from '../agents/types';
import { priorEditLines, summarizeEdit } from '../core/edit-memory';
import { SignalNames, WorkflowTypes } from '../core/messages';
import { applyEdits, parseProposedEdits } from '../core/edits';
import { editFingerprint } from '../core/fingerprint';
import { MAX_PRIOR_EDIT_SUMMARIES, MAX_SKILL_BODY_BYTES, MAX_VERDICT_REASON_CHARS, OPTIMIZER_NAME } from '../core/limits';
import { describeError } from '../core/describe-error';
import type { ModelCallBudget } from '../core/model-calls';
import { cutText } from '../core/text';
import { judgePrompt, proposerPrompt } from '../core/prompts';
import { redactSecrets } from '../core/redact';
import { workflowIdForSkill, type SkillRef } from '../core/skill-ref';
import { buildJudgeWindow } from '../core/transcript';
import { UNPARSEABLE_REASON, parseVerdict } from '../core/verdict';
import { directBackend } from '../team/direct';
import { pushToStore } from '../team/push-to-store';
import { effectiveRollout } from '../team/rollout-choice';
import { serveStoreRequest } from '../team/store-requests';
import { StoreValidationError, VersionConflictError, type Store } from '../store/types';
import type { RolloutDefaults } from '../core/rollout-types';
import { candidateRollout, createRolloutActivities, tellLaneOfVerdict } from './rollout';
import { requireRolloutDefaults } from '../core/rollout';
import { openTranscript } from './transcript-file';
import { FailureTypes, type JudgeInput, type JudgeResult, type ModelActivities, type SkillActivities } from './types';

/** What judge and propose need: they run on the machine whose session reacted. */
export interface ModelActivityDeps {
  model: ModelCall;
  /**
   * The only folders the judge reads transcripts from (local/transcript-roots.ts:
   * agentTranscriptRoots() of the machine running the worker). A path from a
   * signal is read only when it is a *.jsonl file whose real path is inside one.
   */
  transcriptRoots: readonly string[];
  /** This machine's daily cap on model calls, judge and propose together (local/model-calls.ts). */
  modelCalls: ModelCallBudget;
  /**
   * The store's verdict for an event, when this worker has a store (embedded,
   * central). A teammate's worker has none: the workflow asks the shared queue
   * first (alreadyJudged).
   */
  verdictForEvent?: (eventId: string) => Promise<{ reason: string } | undefined>;
}

export interface ActivityDeps extends Omit<ModelActivityDeps, 'verdictForEvent'> {
  store: Store;
  /** Reports failures to skill lanes (signal-with-start). */
  client: Client;
  /** The team's rollout policy and canary settings; default: SKILLOPT_ROLLOUT and SKILLOPT_CANARY_* of this process. */
  rollout?: RolloutDefaults;
}

/** Model activities heartbeat this often while the agent CLI runs (the workflows' heartbeat timeout is 30 s). */
const MODEL_HEARTBEAT_MS = 5_000;

/**
 * A model call inside an activity: heartbeats while it runs, so a dead worker is
 * noticed at the heartbeat timeout, and passes the activity's cancellation to the
 * backend, which kills the agent CLI process.
 */
async function callModel(model: ModelCall, request: Omit<ModelRequest, 'signal'>): Promise<string> {
  const context = Context.current();
  context.heartbeat();
  const beat = setInterval(() => context.heartbeat(), MODEL_HEARTBEAT_MS);
  try {
    return await model({ ...request, signal: context.cancellationSignal });
  } finally {
    clearInterval(beat);
  }
}

/** How far before the invocation's recorded byte length the judge reads, for the turns before it. */
const TRANSCRIPT_LOOKBACK_BYTES = 256 * 1024;
/** The most transcript one judgment reads. */
const MAX_TRANSCRIPT_READ_BYTES = 8 * 1024 * 1024;

function refLabel(ref: SkillRef): string {
  return `${ref.name}--${ref.author}`;
}

/** Bad input is never retried; everything else (model, store) is, with backoff. */
async function failFastOnBadInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof StoreValidationError) throw ApplicationFailure.nonRetryable(err.message, FailureTypes.InvalidInput);
    throw err;
  }
}

/**
 * The transcript bytes the judge sees: they end at the length recorded with the
 * reaction, so a retry an hour later judges exactly the same text. They start a
 * little before the invocation (when it was recorded in the same file), which
 * bounds the read for long sessions.
 */
export async function readTranscriptWindow(input: JudgeInput, roots: readonly string[]): Promise<string> {
  const path = input.reaction.transcriptPath || input.invocation.transcriptPath;
  // Only inside the agent transcript folders: a signal must not make the worker read arbitrary files.
  const file = await openTranscript(path, roots);
  try {
    const size = (await file.stat()).size;
    const end = Math.min(input.reaction.transcriptBytes, size);
    const sameFile = input.invocation.transcriptPath === path;
    let start = sameFile ? Math.max(0, input.invocation.transcriptBytes - TRANSCRIPT_LOOKBACK_BYTES) : 0;
    start = Math.max(start, end - MAX_TRANSCRIPT_READ_BYTES);
    if (start >= end) return '';
    const buffer = Buffer.alloc(end - start);
    await file.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    // A read from the middle starts inside a line: drop that partial line.
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    await file.close();
  }
}

/** No model verdict could be reached: said, with its reason, never a pass. */
function notJudged(reason: string): JudgeResult {
  return { outcome: 'not-judged', confidence: 0, reason: cutText(reason, MAX_VERDICT_REASON_CHARS) };
}

/**
 * judgeReaction and proposeEdit: what runs on the machine whose session reacted
 * (its transcript, its agent CLI). No store, no client: a teammate's on-demand
 * worker registers only these.
 */
export function createModelActivities({ model, verdictForEvent, transcriptRoots, modelCalls }: ModelActivityDeps): ModelActivities {
  const roots = [...transcriptRoots];
  return {
    async judgeReaction(input): Promise<JudgeResult> {
      // An event redelivered after its workflow run ended was judged already: never judged
      // (so nothing acts on it) twice. A store that cannot answer now must not cost the judgment.
      const recorded = verdictForEvent && (await verdictForEvent(input.reaction.eventId).catch(() => undefined));
      if (recorded) return notJudged(`already judged: ${recorded.reason}`);
      const transcript = await readTranscriptWindow(input, roots);
      const { window, invocationFound } = buildJudgeWindow({
        transcriptText: transcript,
        toolUseId: input.invocation.toolUseId,
        skillRef: refLabel(input.ref),
        reaction: input.reaction.text,
      });
      // Without the invocation the window is only the session's last turns: a reaction
      // alone must never drive an edit, so the model is not asked.
      if (!invocationFound) return notJudged(`invocation ${input.invocation.toolUseId} not found in transcript`);
      if (window.trim() === '') return notJudged('empty transcript window');
      // Secrets never reach the model or the workflow history.
      const prompt = judgePrompt(redactSecrets(window));
      // Counted now, before the model answers; past today's cap the model is not asked.
      const grant = await modelCalls.take();
      if (!grant.ok) return notJudged(grant.reason);
      const verdict = parseVerdict(await callModel(model, { role: 'judge', ...prompt }));
      if (verdict.reason === UNPARSEABLE_REASON) return notJudged(UNPARSEABLE_REASON);
      // NUL cannot be stored (Postgres text); model output may hold anything.
      const reason = redactSecrets(verdict.reason).replace(/\0/g, '');
      return { outcome: verdict.success ? 'passed' : 'failed', confidence: verdict.confidence, reason };
    },

    async proposeEdit(input) {
      const prompt = proposerPrompt({ body: input.body, failures: input.failures, priorEdits: input.priorEdits, budget: input.budget });
      // Past today's cap this machine cannot propose now: the lane tries the next failing machine.
      const grant = await modelCalls.take();
      if (!grant.ok) throw ApplicationFailure.nonRetryable(grant.reason, FailureTypes.DailyCapReached);
      const proposed = parseProposedEdits(await callModel(model, { role: 'proposer', ...prompt }));
      const applied = applyEdits(input.body, proposed, { budget: input.budget });
      const tooLarge = Buffer.byteLength(applied.editedBody, 'utf8') > MAX_SKILL_BODY_BYTES;
      return {
        changed: applied.changed && !tooLarge,
        editedBody: applied.editedBody,
        // Only the edits that took effect: two proposals that change the body alike are the same idea.
        edits: applied.applied,
        report: tooLarge ? [...applied.report, `SKIP all: edited body is over ${MAX_SKILL_BODY_BYTES} bytes`] : applied.report,
        summaries: applied.applied.map(summarizeEdit),
        fingerprint: editFingerprint(applied.applied),
      };
    },
  };
}

export function createActivities({ store, model, client, transcriptRoots, modelCalls, rollout = requireRolloutDefaults(process.env) }: ActivityDeps): SkillActivities {
  // A teammate's store requests are served by the same backend as the CLI on this machine, under this worker's rollout settings.
  const teamSkills = directBackend(store, { rollout });
  return {
    ...createModelActivities({ model, transcriptRoots, modelCalls, verdictForEvent: (eventId) => store.verdictForEvent(eventId) }),
    ...createRolloutActivities(store),

    async alreadyJudged(eventId) {
      const recorded = await failFastOnBadInput(() => store.verdictForEvent(eventId));
      return recorded ? notJudged(`already judged: ${recorded.reason}`) : undefined;
    },

    async recordVerdict({ ref, invocation, eventId, verdict }) {
      await failFastOnBadInput(() =>
        store.recordVerdict({
          name: ref.name,
          author: ref.author,
          skillVersion: invocation.skillVersion ?? 0,
          sessionId: invocation.sessionId,
          toolUseId: invocation.toolUseId,
          eventId,
          outcome: verdict.outcome,
          confidence: verdict.confidence,
          reason: verdict.reason,
          agent: invocation.agent,
          user: invocation.user,
        }),
      );
      // The lane runs on the queue this activity runs on: the workflows' own.
      await tellLaneOfVerdict(store, client, ref, Context.current().info.taskQueue, { version: invocation.skillVersion ?? 0, outcome: verdict.outcome });
    },

    async reportFailure({ ref, report }) {
      // The lane runs on the queue this activity runs on: the workflows' own.
      await client.workflow.signalWithStart(WorkflowTypes.skill, {
        workflowId: workflowIdForSkill(ref),
        taskQueue: Context.current().info.taskQueue,
        args: [{ ref }],
        signal: SignalNames.failure,
        signalArgs: [report],
      });
    },

    async describeSkill(ref) {
      const [latest, edits, candidate] = await Promise.all([store.latestVersion(ref), store.editStats(ref), candidateRollout(store, ref, rollout)]);
      return { version: latest?.version, improvementsPublished: edits.published, ...(candidate ? { candidate } : {}) };
    },

    async readSkill(ref) {
      // Proposals improve what everyone has: the stable version (a skill pushed only as a candidate: that one).
      const latest = (await store.stableVersion(ref)) ?? (await store.latestVersion(ref));
      if (!latest) throw ApplicationFailure.nonRetryable(`skill ${refLabel(ref)} is not in the store`, FailureTypes.UnknownSkill);
      const edits = await store.recentEdits(ref, MAX_PRIOR_EDIT_SUMMARIES);
      return { version: latest.version, body: latest.body, description: latest.description, priorEdits: priorEditLines(edits) };
    },

    async publishSkill(input) {
      return failFastOnBadInput(async () => {
        // Edit memory is in the shared store: no machine publishes an edit set tried before.
        if (await store.hasEditFingerprint(input.ref, input.fingerprint)) return { status: 'duplicate' as const };
        const base = await store.getVersion(input.ref, input.baseVersion);
        if (!base) throw ApplicationFailure.nonRetryable(`skill ${refLabel(input.ref)} v${input.baseVersion} is not in the store`, FailureTypes.UnknownSkill);
        const { policy } = await effectiveRollout(store, input.ref, rollout);
        try {
          const { version } = await store.publishVersion({
            name: input.ref.name,
            author: input.ref.author,
            body: input.body,
            description: base.description,
            scope: base.scope,
            contributors: [...new Set([...base.contributors, OPTIMIZER_NAME])],
            createdBy: OPTIMIZER_NAME,
            idempotencyKey: input.idempotencyKey,
            baseVersion: input.baseVersion,
            // Policy direct: everyone's version at once, as the original did; else a candidate on trial.
            state: policy === 'direct' ? 'stable' : 'candidate',
            reason: 'proposed from failure reports',
          });
          const candidate = version.state === 'candidate' ? await candidateRollout(store, input.ref, rollout, version) : undefined;
          return { status: 'published' as const, version: version.version, ...(candidate ? { candidate } : {}) };
        } catch (err) {
          if (!(err instanceof VersionConflictError)) throw err;
          const latest = await store.latestVersion(input.ref);
          return { status: 'conflict' as const, latestVersion: latest?.version ?? input.baseVersion + 1 };
        }
      });
    },

    async pushVersion(input) {
      try {
        const outcome = await pushToStore(store, input);
        if (outcome.status === 'refused' || !input.canary) return outcome;
        const candidate = await candidateRollout(store, input.ref, rollout);
        return candidate?.version === outcome.version ? { ...outcome, candidate } : outcome;
      } catch (err) {
        // The lane serializes pushes; only a publisher outside it (a central-mode push, the store itself) races one.
        if (err instanceof VersionConflictError) throw ApplicationFailure.nonRetryable(describeError(err), FailureTypes.VersionConflict);
        // Worded as the local push words it.
        if (err instanceof StoreValidationError) throw ApplicationFailure.nonRetryable(describeError(err), FailureTypes.InvalidInput);
        throw err;
      }
    },

    async storeRequest(input) {
      return failFastOnBadInput(() => serveStoreRequest(teamSkills, input));
    },

    async recordEdit({ ref, ...edit }) {
      // The store's recordEdit is idempotent per published version: a retry returns the row already written.
      await failFastOnBadInput(() => store.recordEdit({ name: ref.name, author: ref.author, ...edit }));
    },
  };
}
