// judgeInvocation and readTranscriptWindow against real transcript files, with a
// model that records what it was asked: what the judge sees decides every edit.
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createActivities, readTranscriptWindow } from '../../activities';
import { FailureTypes, type JudgeInput } from '../../activities/types';
import type { ModelRequest } from '../../agents/types';
import { openStore, type Store } from '../../store';
import { until } from '../helpers/wait';

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
    client: unusedClient(),
  });
}

/** The judge never reports failures (the workflow does, after recording): a client that never connects. */
function unusedClient(): Client {
  return new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) });
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

describe('judgeReaction', () => {
  it('does not ask the model when the invocation is not in the transcript, and reports why', async () => {
    const activities = judgeActivities();
    const input = judgeInput(transcriptAtReaction(), { toolUseId: 'toolu_elsewhere', name: 'release-notes' });
    const verdict = await new MockActivityEnvironment().run(activities.judgeReaction, input);
    expect(calls).toEqual([]);
    expect(verdict).toEqual({ outcome: 'not-judged', confidence: 0, reason: 'invocation toolu_elsewhere not found in transcript' });
  });

  it('asks the model with a window holding the invocation and the reaction', async () => {
    const activities = judgeActivities();
    const verdict = await new MockActivityEnvironment().run(activities.judgeReaction, judgeInput(transcriptAtReaction()));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.role).toBe('judge');
    expect(calls[0]!.user).toContain('[tool Skill]: deploy-checklist--alice');
    expect(calls[0]!.user).toContain('USER: that was wrong, you skipped the tests');
    expect(verdict).toEqual({ outcome: 'failed', confidence: 0.9, reason: 'deployed without running the tests' });
  });

  it('judges the same text on a retry after the transcript grew past the reaction', async () => {
    const activities = judgeActivities();
    const path = transcriptAtReaction();
    const input = judgeInput(path);
    await new MockActivityEnvironment().run(activities.judgeReaction, input);
    appendFileSync(path, AFTER_REACTION);
    await new MockActivityEnvironment().run(activities.judgeReaction, input);
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
      outcome: 'failed',
      confidence: 0.8,
      reason: 'skipped the tests',
      agent: 'claude_code',
      user: 'bob',
    });
    const verdict = await new MockActivityEnvironment().run(activities.judgeReaction, input);
    expect(calls).toEqual([]);
    // Not judged now: the workflow neither reports it to the lane nor resolves an edit with it.
    expect(verdict).toEqual({ outcome: 'not-judged', confidence: 0, reason: 'already judged: skipped the tests' });
  });

  it('gives an unparseable judge reply as not judged, never as a pass', async () => {
    const activities = createActivities({ store, model: async () => 'I think it went fine overall', client: unusedClient() });
    const verdict = await new MockActivityEnvironment().run(activities.judgeReaction, judgeInput(transcriptAtReaction()));
    expect(verdict).toEqual({ outcome: 'not-judged', confidence: 0, reason: 'unparseable judge output' });
  });

  it('heartbeats while the model runs and kills the call when the activity is cancelled', async () => {
    let aborted: AbortSignal | undefined;
    const activities = createActivities({
      store,
      // A model that answers only when its call is aborted, as a killed CLI process does.
      model: (request) =>
        new Promise((_resolve, reject) => {
          aborted = request.signal;
          request.signal?.addEventListener('abort', () => reject(new Error('claude call cancelled')));
        }),
      client: unusedClient(),
    });
    const env = new MockActivityEnvironment();
    let heartbeats = 0;
    env.on('heartbeat', () => heartbeats++);
    const judged = env.run(activities.judgeReaction, judgeInput(transcriptAtReaction())).catch((e: unknown) => e);
    await until(async () => aborted, (signal) => signal !== undefined);
    expect(heartbeats).toBeGreaterThanOrEqual(1);
    env.cancel();
    expect(String(await judged)).toMatch(/cancelled/);
    expect(aborted!.aborted).toBe(true);
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
