// The success judge's answer. Parsing leans to "passed": only an explicit
// success of 0, "0" or false is a failure, so a rambling or broken judge can
// never manufacture a failure (and with it a published edit).
import { MAX_VERDICT_REASON_CHARS } from './limits';
import { extractJson, isPlainObject } from './model-json';
import { cutText } from './text';

export interface Verdict {
  success: boolean;
  confidence: number;
  reason: string;
}

export const UNPARSEABLE_REASON = 'unparseable judge output';
const DEFAULT_CONFIDENCE = 0.5;

/** Reads `{"success":0|1,"confidence":…,"reason":…}` out of the judge's reply. */
export function parseVerdict(text: string): Verdict {
  const json = extractJson(text, '{', '}', isPlainObject);
  if (!json) return conservativeVerdict(UNPARSEABLE_REASON);
  return {
    success: !isExplicitFailure(json.success),
    confidence: confidenceOf(json.confidence),
    reason: typeof json.reason === 'string' ? cutText(json.reason, MAX_VERDICT_REASON_CHARS) : '',
  };
}

/** "Passed" with no confidence: for a blank window or a judge that keeps failing. */
export function conservativeVerdict(reason: string): Verdict {
  return { success: true, confidence: 0, reason: cutText(reason, MAX_VERDICT_REASON_CHARS) };
}

function isExplicitFailure(value: unknown): boolean {
  return value === 0 || value === '0' || value === false;
}

function confidenceOf(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DEFAULT_CONFIDENCE;
  return Math.min(1, Math.max(0, value));
}

/**
 * What one judgment of one reaction concluded. "not-judged": no model verdict
 * could be reached (transcript unreadable, invocation not in it, judge failing
 * after its retries, no worker on the machine's queue); it is said, with its
 * reason, and never counts as a pass or a failure.
 */
export type VerdictOutcome = 'passed' | 'failed' | 'not-judged';

/** An invocation's verdict so far: "pending" until a reaction was judged. */
export type InvocationVerdict = VerdictOutcome | 'pending';
