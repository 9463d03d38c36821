// The check before anyone gets a candidate (the pre-publish check): on the
// failing invocations an edit was proposed from, does the new version address
// what went wrong; on held-out invocations of the stable version that passed,
// would it have made them worse? Each piece of evidence gets one tools-off
// model call on the machine that holds its transcript; this module reads the
// answers and decides. Parsing leans to "no answer": a reply that says neither
// yes nor no counts as unanswered, never as a yes.
import { MAX_VERDICT_REASON_CHARS } from './limits';
import { extractJson, isPlainObject } from './model-json';
import { cutText } from './text';

/** Held-out passes asked about by default, and at most. */
export const DEFAULT_HELD_OUT = 3;
export const MAX_HELD_OUT = 10;
/** A rejection's reasons as its version's record keeps them (the store keeps 2,000 characters of a transition's reason). */
export const MAX_REJECTION_REASON_CHARS = 1_500;

/** What an answer is about: a failure the edit came from, or a held-out pass. */
export type EvidenceKind = 'failure' | 'pass';

/**
 * One piece of evidence's answer. `yes`: the failure is addressed (failure), or
 * the session would have been made worse (pass). `none`: no answer (the reply
 * did not parse, the machine did not answer in time, the transcript could not be read).
 */
export interface CheckAnswer {
  kind: EvidenceKind;
  answer: 'yes' | 'no' | 'none';
  reason: string;
}

export interface CheckOutcome {
  /** `go-on`: to the rollout policy; `reject`: nobody gets it; `unchecked`: nothing answered, the policy decides. */
  decision: 'go-on' | 'reject' | 'unchecked';
  /** Failures whose answer was yes, of those answered. */
  addressed: number;
  failures: number;
  /** Passes the edit would have made worse, of those answered. */
  worse: number;
  passes: number;
  unanswered: number;
  /** Why it was rejected (the reasons of the failures not addressed and the passes made worse), for the record and the proposer's next attempt. */
  reasons: string[];
}

/**
 * The rule: the candidate goes on when at least half of the answered failures
 * are addressed and no answered pass is made worse; it is rejected otherwise;
 * with nothing answered at all it is unchecked.
 */
export function precheckOutcome(answers: readonly CheckAnswer[]): CheckOutcome {
  const answered = answers.filter((a) => a.answer !== 'none');
  const failures = answered.filter((a) => a.kind === 'failure');
  const passes = answered.filter((a) => a.kind === 'pass');
  const addressed = failures.filter((a) => a.answer === 'yes').length;
  const worse = passes.filter((a) => a.answer === 'yes').length;
  const unanswered = answers.length - answered.length;
  const counts = { addressed, failures: failures.length, worse, passes: passes.length, unanswered };
  if (answered.length === 0) return { decision: 'unchecked', ...counts, reasons: [] };
  const fixesEnough = addressed * 2 >= failures.length;
  if (fixesEnough && worse === 0) return { decision: 'go-on', ...counts, reasons: [] };
  const reasons = [
    ...(fixesEnough ? [] : failures.filter((a) => a.answer === 'no').map((a) => `does not address: ${a.reason}`)),
    ...passes.filter((a) => a.answer === 'yes').map((a) => `makes a passing session worse: ${a.reason}`),
  ];
  return { decision: 'reject', ...counts, reasons };
}

/** "addressed 2 of 3 failures, made worse 0 of 2 passes, unanswered 1": how every view says it. */
export function precheckSummary(outcome: Omit<CheckOutcome, 'decision' | 'reasons'>): string {
  const parts = [`addressed ${outcome.addressed} of ${outcome.failures} failure${outcome.failures === 1 ? '' : 's'}`, `made worse ${outcome.worse} of ${outcome.passes} pass${outcome.passes === 1 ? '' : 'es'}`];
  if (outcome.unanswered > 0) parts.push(`unanswered ${outcome.unanswered}`);
  return parts.join(', ');
}

/** What came of the check, as people read it. */
const DECISION_WORDS: Record<CheckOutcome['decision'], string> = { 'go-on': 'went on', reject: 'turned down', unchecked: 'went on unchecked' };

/** "turned down (addressed 1 of 1 failure, made worse 1 of 2 passes)": the check and what came of it, in one line. */
export function precheckLine(outcome: Omit<CheckOutcome, 'reasons'>): string {
  return `${DECISION_WORDS[outcome.decision]} (${precheckSummary(outcome)})`;
}

/** The key each kind's answer is given under: `{"addressed":0|1,…}` for a failure, `{"worse":0|1,…}` for a pass. */
const ANSWER_KEY: Record<EvidenceKind, 'addressed' | 'worse'> = { failure: 'addressed', pass: 'worse' };

/** Reads the check's reply for one piece of evidence; anything but an explicit 0/1 (or yes/no, true/false) is no answer. */
export function parseCheckAnswer(kind: EvidenceKind, text: string): CheckAnswer {
  const json = extractJson(text, '{', '}', isPlainObject);
  const value = json?.[ANSWER_KEY[kind]];
  const answer = isYes(value) ? 'yes' : isNo(value) ? 'no' : 'none';
  const reason = typeof json?.reason === 'string' ? cutText(json.reason, MAX_VERDICT_REASON_CHARS) : answer === 'none' ? 'unparseable check output' : '';
  return { kind, answer, reason };
}

function isYes(value: unknown): boolean {
  return value === 1 || value === '1' || value === true || (typeof value === 'string' && /^\s*yes\s*$/i.test(value));
}

function isNo(value: unknown): boolean {
  return value === 0 || value === '0' || value === false || (typeof value === 'string' && /^\s*no\s*$/i.test(value));
}
