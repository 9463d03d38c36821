// Judging one reaction of one invocation: its transcript window (read only
// inside the agent's transcript folders, cut at the byte length recorded with the
// reaction, secrets redacted) and the reaction, put to the model with tools off.
// Runs on the machine whose session reacted. A judgment that cannot be made is
// `not-judged` with its reason, never a pass. The pre-publish check of an edit
// reads the same window on the same machine, with the edit as a diff; what it
// cannot answer is no answer, never a yes.
import type { ModelCall } from '../agents/types';
import { MAX_VERDICT_REASON_CHARS } from '../core/limits';
import type { ModelCallBudget } from '../core/model-calls';
import { parseCheckAnswer, type CheckAnswer } from '../core/precheck';
import { judgePrompt, precheckPrompt } from '../core/prompts';
import { redactSecrets } from '../core/redact';
import { formatSkillRef } from '../core/skill-ref';
import { cutText } from '../core/text';
import { buildJudgeWindow } from '../core/transcript';
import { TRANSCRIPT_FORMATS } from '../agents/transcripts';
import { UNPARSEABLE_REASON, parseVerdict } from '../core/verdict';
import { callModel } from './model-call';
import { readTranscriptWindow } from './transcript-file';
import type { JudgeInput, JudgeResult, SkillActivities } from './types';

/** What the judge needs: it runs on the machine whose session reacted. */
export interface JudgmentDeps {
  model: ModelCall;
  /**
   * The only folders the judge reads transcripts from (agents/registry.ts:
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

/** No model verdict could be reached: said, with its reason, never a pass. */
export function notJudged(reason: string): JudgeResult {
  return { outcome: 'not-judged', confidence: 0, reason: cutText(reason, MAX_VERDICT_REASON_CHARS) };
}

/** The invocation's window in the transcript, read and redacted; or why there is none to judge. */
async function invocationWindow(input: JudgeInput, roots: string[]): Promise<{ window: string } | { missing: string }> {
  const transcript = await readTranscriptWindow(input, roots);
  const { window, invocationFound } = buildJudgeWindow(
    { transcriptText: transcript, toolUseId: input.invocation.toolUseId, skillRef: formatSkillRef(input.ref), reaction: input.reaction.text },
    TRANSCRIPT_FORMATS,
  );
  // Without the invocation the window is only the session's last turns: a reaction
  // alone must never drive an edit, so the model is not asked.
  if (!invocationFound) return { missing: `invocation ${input.invocation.toolUseId} not found in transcript` };
  if (window.trim() === '') return { missing: 'empty transcript window' };
  // Secrets never reach the model or the workflow history.
  return { window: redactSecrets(window) };
}

export function createJudgmentActivities({ model, verdictForEvent, transcriptRoots, modelCalls }: JudgmentDeps): Pick<SkillActivities, 'judgeReaction' | 'checkEdit'> {
  const roots = [...transcriptRoots];
  return {
    async judgeReaction(input): Promise<JudgeResult> {
      // An event redelivered after its workflow run ended was judged already: never judged
      // (so nothing acts on it) twice. A store that cannot answer now must not cost the judgment.
      const recorded = verdictForEvent && (await verdictForEvent(input.reaction.eventId).catch(() => undefined));
      if (recorded) return notJudged(`already judged: ${recorded.reason}`);
      const read = await invocationWindow(input, roots);
      if ('missing' in read) return notJudged(read.missing);
      const prompt = judgePrompt(read.window);
      // Counted now, before the model answers; past today's cap the model is not asked.
      const grant = await modelCalls.take();
      if (!grant.ok) return notJudged(grant.reason);
      const verdict = parseVerdict(await callModel(model, { role: 'judge', ...prompt }));
      if (verdict.reason === UNPARSEABLE_REASON) return notJudged(UNPARSEABLE_REASON);
      // NUL cannot be stored (Postgres text); model output may hold anything.
      const reason = redactSecrets(verdict.reason).replace(/\0/g, '');
      return { outcome: verdict.success ? 'passed' : 'failed', confidence: verdict.confidence, reason };
    },

    // The pre-publish check of one piece of evidence (core/precheck.ts), read like a judgment, on the same machine.
    async checkEdit(input): Promise<CheckAnswer> {
      const none = (reason: string): CheckAnswer => ({ kind: input.kind, answer: 'none', reason: cutText(reason, MAX_VERDICT_REASON_CHARS) });
      const read = await invocationWindow(input, roots);
      if ('missing' in read) return none(read.missing);
      const prompt = precheckPrompt(input.kind, read.window, redactSecrets(input.diff));
      const grant = await modelCalls.take();
      if (!grant.ok) return none(grant.reason);
      const answer = parseCheckAnswer(input.kind, await callModel(model, { role: 'judge', ...prompt }));
      return { ...answer, reason: redactSecrets(answer.reason).replace(/\0/g, '') };
    },
  };
}
