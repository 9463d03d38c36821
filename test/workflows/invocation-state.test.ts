// The invocation workflow's state machine, without a server: every transition
// the workflow wires to a signal, a timer or a verdict.
import { describe, expect, it } from 'vitest';
import { DEFAULT_JUDGE_WINDOW } from '../../core/limits';
import type { ReactionSignal } from '../../core/messages';
import type { JudgeResult } from '../../activities/types';
import type { InvocationConfig, JudgedReaction } from '../../workflows/definitions';
import * as m from '../../workflows/invocation-state';

const ref = { name: 'deploy', author: 'alice' };
const invocation = { sessionId: 's1', toolUseId: 'toolu_1', user: 'alice', agent: 'claude_code', skillVersion: 2, transcriptPath: '/t.jsonl', transcriptBytes: 10 };

function start(config: Partial<InvocationConfig> = {}, now = 0): m.InvocationState {
  return m.initialInvocationState({ ref, invocation, config }, now);
}

function reaction(eventId: string, text = `reaction ${eventId}`): ReactionSignal {
  return { eventId, sessionId: 's1', text, transcriptPath: '/t.jsonl', transcriptBytes: 20 };
}

function react(state: m.InvocationState, ...ids: string[]): m.InvocationState {
  return ids.reduce((s, id) => m.onReaction(s, reaction(id), 1), state);
}

const passed: JudgeResult = { outcome: 'passed', confidence: 0.9, reason: 'ok' };
const failed: JudgeResult = { outcome: 'failed', confidence: 0.9, reason: 'skipped the tests' };

/** Judges every queued reaction with `verdict`, as the workflow's loop does. */
function judgeAll(state: m.InvocationState, verdict: JudgeResult): { state: m.InvocationState; reports: number } {
  let reports = 0;
  for (;;) {
    const next = m.nextJudgment(state);
    if (!next.reaction) return { state: next.state, reports };
    const applied = m.onVerdict(next.state, next.reaction.eventId, verdict);
    state = applied.state;
    if (applied.reportFailure) reports++;
  }
}

describe('invocation state: the K-reaction budget', () => {
  it('defaults to DEFAULT_JUDGE_WINDOW (3) reactions', () => {
    expect(DEFAULT_JUDGE_WINDOW).toBe(3);
    const s = react(start(), 'r1', 'r2');
    expect(s).toMatchObject({ phase: 'open', remaining: 1 });
    expect(react(s, 'r3')).toMatchObject({ phase: 'closed', closedReason: 'budget spent', remaining: 0 });
  });

  it('spends one per reaction, closes when spent, and still judges what was queued', () => {
    let s = react(start({ judgeWindow: 2 }), 'r1', 'r2');
    expect(s).toMatchObject({ phase: 'closed', closedReason: 'budget spent', remaining: 0 });
    expect(s.queue.map((r) => r.eventId)).toEqual(['r1', 'r2']);
    expect(m.finished(s)).toBe(false);
    s = react(s, 'r3');
    expect(s.queue).toHaveLength(2);
    expect(s.counters).toMatchObject({ reactions: 2, ignoredReactions: 1 });
    s = judgeAll(s, passed).state;
    expect(s.verdicts.map((v) => v.eventId)).toEqual(['r1', 'r2']);
    expect(m.finished(s)).toBe(true);
  });
});

describe('invocation state: events it ignores', () => {
  it('counts a duplicate event id once, whatever signal carries it', () => {
    let s = m.onInvoked(start(), { ...invocation, eventId: 'inv-1' });
    s = m.onInvoked(s, { ...invocation, eventId: 'inv-1' });
    s = react(s, 'r1', 'r1');
    // A superseded or session end replayed with an id already seen changes nothing.
    s = m.onSuperseded(s, { eventId: 'r1', byToolUseId: 'toolu_2' });
    s = m.onSessionEnded(s, { eventId: 'inv-1', reason: 'clear' }, 2);
    expect(s.counters).toMatchObject({ duplicateEvents: 4, reactions: 1 });
    expect(s).toMatchObject({ phase: 'open', remaining: 2 });
    expect(s.queue).toHaveLength(1);
  });

  it('ignores and counts a blank reaction without spending the budget', () => {
    const s = m.onReaction(start(), reaction('r1', '  \n\t'), 1);
    expect(s).toMatchObject({ remaining: 3, queue: [] });
    expect(s.counters).toMatchObject({ reactions: 0, ignoredReactions: 1 });
  });

  it('ignores and counts a reaction after the window closed', () => {
    const s = react(m.onSuperseded(start(), { eventId: 'sup', byToolUseId: 'toolu_2' }), 'late');
    expect(s.queue).toEqual([]);
    expect(s.counters.ignoredReactions).toBe(1);
  });

  it('counts malformed signals', () => {
    expect(m.onMalformed(m.onMalformed(start())).counters.ignoredMalformed).toBe(2);
  });
});

describe('invocation state: closing the window', () => {
  it('closes when superseded, naming the newer invocation', () => {
    expect(m.onSuperseded(start(), { eventId: 'e', byToolUseId: 'toolu_9' })).toMatchObject({ phase: 'closed', closedReason: 'superseded by toolu_9' });
    expect(m.onSuperseded(start(), { eventId: 'e', byToolUseId: '' }).closedReason).toBe('superseded by a newer invocation');
  });

  it.each(['clear', 'logout'])('closes on sessionEnded(%s): that session cannot be resumed', (reason) => {
    expect(m.onSessionEnded(start(), { eventId: 'e', reason }, 5)).toMatchObject({ phase: 'closed', closedReason: `session ended (${reason})` });
  });

  it('any other end waits for a resume: a reaction reopens the window', () => {
    let s = m.onSessionEnded(start({}, 0), { eventId: 'e', reason: 'prompt_input_exit' }, 5);
    expect(s).toMatchObject({ phase: 'ended', lastActivityAt: 5 });
    s = m.onReaction(s, reaction('r1'), 7);
    expect(s).toMatchObject({ phase: 'open', remaining: 2, lastActivityAt: 7 });
    expect(s.queue).toHaveLength(1);
  });

  it('a session end after the window closed keeps it closed with its reason', () => {
    const s = m.onSessionEnded(react(start({ judgeWindow: 1 }), 'r1'), { eventId: 'e', reason: 'other' }, 5);
    expect(s).toMatchObject({ phase: 'closed', closedReason: 'budget spent' });
  });

  it('times the open window by idleTimeoutMs and the ended one by resumeGraceMs, from the last activity', () => {
    const s = start({ idleTimeoutMs: 1_000, resumeGraceMs: 300 }, 100);
    expect(m.windowTimeoutMs(s, 400)).toBe(700);
    expect(m.windowTimeoutMs(s, 5_000)).toBe(0);
    const ended = m.onSessionEnded(s, { eventId: 'e', reason: 'other' }, 500);
    expect(m.windowTimeoutMs(ended, 600)).toBe(200);
    expect(m.windowTimeoutMs(m.onWindowTimeout(s), 600)).toBeUndefined();
  });

  it("a timeout closes an open window as 'idle' and an ended one as 'session ended, not resumed'", () => {
    expect(m.onWindowTimeout(start())).toMatchObject({ phase: 'closed', closedReason: 'idle' });
    const ended = m.onSessionEnded(start(), { eventId: 'e', reason: 'other' }, 1);
    expect(m.onWindowTimeout(ended)).toMatchObject({ phase: 'closed', closedReason: 'session ended, not resumed' });
    expect(m.finished(m.onWindowTimeout(start()))).toBe(true);
  });
});

describe('invocation state: verdicts', () => {
  it('a judged failure closes the window, is reported once, and clears what was queued', () => {
    let s = react(start({ judgeWindow: 4 }), 'r1', 'r2', 'r3');
    const first = m.nextJudgment(s);
    expect(first.reaction?.eventId).toBe('r1');
    const applied = m.onVerdict(first.state, 'r1', failed);
    expect(applied.reportFailure).toBe(true);
    s = applied.state;
    expect(s).toMatchObject({ phase: 'closed', closedReason: 'failure reported', failureReported: true, queue: [] });
    expect(m.finished(s)).toBe(true);
    // Nothing more is judged, and a second failure (had one been in flight) is not reported again.
    expect(m.nextJudgment(s).reaction).toBeUndefined();
    expect(m.onVerdict(s, 'r2', failed).reportFailure).toBe(false);
  });

  it('a pass keeps the window open and reports nothing', () => {
    const { state, reports } = judgeAll(react(start(), 'r1'), passed);
    expect(reports).toBe(0);
    expect(state).toMatchObject({ phase: 'open', remaining: 2, failureReported: false });
  });

  it('judges a budget-closed queue in order and reports the first failure only', () => {
    const s = react(start({ judgeWindow: 2 }), 'r1', 'r2');
    const { state, reports } = judgeAll(s, failed);
    expect(reports).toBe(1);
    expect(state.verdicts.map((v) => v.eventId)).toEqual(['r1']);
  });

  const v = (outcome: JudgedReaction['outcome'], reason: string = outcome): JudgedReaction => ({ eventId: reason, outcome, reason });
  it.each([
    [[], 'pending'],
    [[v('not-judged')], 'not-judged'],
    [[v('not-judged'), v('passed')], 'passed'],
    [[v('passed'), v('failed'), v('not-judged')], 'failed'],
    [[v('failed'), v('passed')], 'failed'],
  ] as const)('invocationVerdict(%j) is %s', (verdicts, expected) => {
    expect(m.invocationVerdict(verdicts)).toBe(expected);
  });

  it('verdictReason is the reason of the verdict that decided the outcome: the first with it', () => {
    expect(m.verdictReason([v('passed', 'p1'), v('failed', 'f1'), v('passed', 'p2')])).toBe('f1');
    expect(m.verdictReason([v('not-judged', 'n1'), v('passed', 'p1'), v('passed', 'p2')])).toBe('p1');
    expect(m.verdictReason([v('not-judged', 'n1'), v('not-judged', 'n2')])).toBe('n1');
    expect(m.verdictReason([])).toBeUndefined();
  });

  it('summarize: what the state query and the result say', () => {
    const s = judgeAll(react(start({ judgeWindow: 1 }), 'r1'), passed).state;
    expect(m.summarize(s)).toMatchObject({
      ref,
      sessionId: 's1',
      toolUseId: 'toolu_1',
      user: 'alice',
      skillVersion: 2,
      verdict: 'passed',
      phase: 'closed',
      closedReason: 'budget spent',
      remaining: 0,
      queued: 0,
      failureReported: false,
    });
  });
});
