// judgeInvocation and readTranscriptWindow against real transcript files, with a
// model that records what it was asked: what the judge sees decides every edit.
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createActivities, readTranscriptWindow } from '../../activities';
import { FailureTypes, type JudgeInput } from '../../activities/types';
import type { ModelRequest } from '../../agents/types';
import { openStore, type Store } from '../../store';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'transcripts', 'skill-invocation-then-resumed-correction.jsonl');
const TOOL_USE_ID = 'toolu_01lfyrw5N8vmy7avHD8Pgdla';
const LINES = readFileSync(FIXTURE, 'utf8').split('\n').filter((l) => l !== '').map((l) => `${l}\n`);
/** Line 7 is the Skill call; line 12 ends the turn the user reacts to; line 16 is the reply to the reaction. */
const THROUGH_INVOCATION = LINES.slice(0, 7).join('');
const AT_REACTION = LINES.slice(0, 12).join('');
const AFTER_REACTION = LINES.slice(12).join('');
const REPLY_AFTER_REACTION = 'I will run them next time';

let dir: string;
let store: Store;
let calls: ModelRequest[];

function judgeActivities() {
  calls = [];
  return createActivities({
    store,
    model: async (request) => {
      calls.push(request);
      return JSON.stringify({ success: 0, confidence: 0.9, reason: 'deployed without running the tests' });
    },
  });
}

function judgeInput(transcriptPath: string, overrides: { toolUseId?: string; name?: string; reactionBytes?: number } = {}): JudgeInput {
  return {
    ref: { name: overrides.name ?? 'deploy-checklist', author: 'alice' },
    invocation: {
      sessionId: 's1',
      toolUseId: overrides.toolUseId ?? TOOL_USE_ID,
      user: 'bob',
      agent: 'claude_code',
      skillVersion: 1,
      transcriptPath,
      transcriptBytes: Buffer.byteLength(THROUGH_INVOCATION),
    },
    reaction: {
      eventId: 'react-1',
      text: 'that was wrong, you skipped the tests',
      transcriptPath,
      transcriptBytes: overrides.reactionBytes ?? Buffer.byteLength(AT_REACTION),
    },
  };
}

/** The transcript as it was on disk when the user reacted. */
function transcriptAtReaction(): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(path, AT_REACTION);
  return path;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-judge-'));
  store = await openStore({ home: dir });
  return () => store.close();
});

describe('judgeInvocation', () => {
  it('does not ask the model when the invocation is not in the transcript, and reports why', async () => {
    const activities = judgeActivities();
    const input = judgeInput(transcriptAtReaction(), { toolUseId: 'toolu_elsewhere', name: 'release-notes' });
    const verdict = await new MockActivityEnvironment().run(activities.judgeInvocation, input);
    expect(calls).toEqual([]);
    expect(verdict).toEqual({
      success: true,
      confidence: 0,
      reason: 'invocation toolu_elsewhere not found in transcript',
      judged: false,
      invocationFound: false,
    });
  });

  it('asks the model with a window holding the invocation and the reaction', async () => {
    const activities = judgeActivities();
    const verdict = await new MockActivityEnvironment().run(activities.judgeInvocation, judgeInput(transcriptAtReaction()));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.role).toBe('judge');
    expect(calls[0]!.user).toContain('[tool Skill]: deploy-checklist--alice');
    expect(calls[0]!.user).toContain('USER: that was wrong, you skipped the tests');
    expect(verdict).toEqual({ success: false, confidence: 0.9, reason: 'deployed without running the tests', judged: true, invocationFound: true });
  });

  it('judges the same text on a retry after the transcript grew past the reaction', async () => {
    const activities = judgeActivities();
    const path = transcriptAtReaction();
    const input = judgeInput(path);
    await new MockActivityEnvironment().run(activities.judgeInvocation, input);
    appendFileSync(path, AFTER_REACTION);
    await new MockActivityEnvironment().run(activities.judgeInvocation, input);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.user).toBe(calls[0]!.user);
    expect(calls[1]!.user).not.toContain(REPLY_AFTER_REACTION);
    // The appended turns are judgeable text: a window ending later does show them.
    const later = await readTranscriptWindow(judgeInput(path, { reactionBytes: Buffer.byteLength(AT_REACTION + AFTER_REACTION) }));
    expect(later).toContain(REPLY_AFTER_REACTION);
  });

  it('reports the recorded verdict of an event judged before (a redelivery after its run ended) without asking the model again', async () => {
    const activities = judgeActivities();
    const input = judgeInput(transcriptAtReaction());
    await store.recordVerdict({
      ...input.ref,
      skillVersion: 1,
      sessionId: 's1',
      toolUseId: TOOL_USE_ID,
      eventId: input.reaction.eventId,
      success: false,
      confidence: 0.8,
      reason: 'skipped the tests',
      agent: 'claude_code',
      user: 'bob',
    });
    const verdict = await new MockActivityEnvironment().run(activities.judgeInvocation, input);
    expect(calls).toEqual([]);
    // Not judged now: the workflow neither batches it for a proposal nor resolves an edit with it.
    expect(verdict).toEqual({ success: false, confidence: 0.8, reason: 'already judged: skipped the tests', judged: false, invocationFound: true });
  });
});

describe('readTranscriptWindow', () => {
  it('ends at the byte length recorded with the reaction', async () => {
    const path = transcriptAtReaction();
    const before = await readTranscriptWindow(judgeInput(path));
    appendFileSync(path, AFTER_REACTION);
    expect(await readTranscriptWindow(judgeInput(path))).toBe(before);
  });

  it('raises a non-retryable TranscriptMissing failure for a missing transcript', async () => {
    const missing = join(dir, 'gone.jsonl');
    const err = await readTranscriptWindow(judgeInput(missing)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FailureTypes.TranscriptMissing, nonRetryable: true });
    expect((err as Error).message).toContain(missing);
  });
});
