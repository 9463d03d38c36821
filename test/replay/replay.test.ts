// Replays every recorded history, of every release folder, against today's
// workflow code. A change that alters the commands a running workflow would
// issue, without patched(), fails here.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayError, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { HISTORIES_DIR, prepareHistoriesFolder, recordedHistoryFiles } from '../helpers/histories';
import { workflowBundle } from '../helpers/temporal';

const files = recordedHistoryFiles();

interface RecordedEvent {
  eventType: string;
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
}

function readHistory(file: string): { workflowId: string; history: { events: RecordedEvent[] } } {
  return JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')) as { workflowId: string; history: { events: RecordedEvent[] } };
}

describe('recorded histories replay on the current workflow code', () => {
  it('has recorded histories of both workflow types to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    const ids = files.map((f) => readHistory(f).workflowId);
    expect(ids.some((id) => id.startsWith('invocation:'))).toBe(true);
    expect(ids.some((id) => id.startsWith('skill:'))).toBe(true);
  });

  it.each(files)('%s', async (file) => {
    const { workflowId, history } = readHistory(file);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
  });

  // Without this, a replay harness that silently accepted anything would pass every file above.
  it('rejects a history whose commands the code would not issue', async () => {
    const file = files.find((f) => readHistory(f).history.events.some((e) => e.activityTaskScheduledEventAttributes?.activityType.name === 'readSkill'));
    expect(file).toBeDefined();
    const { workflowId, history } = readHistory(file!);
    const tampered = structuredClone(history);
    const scheduled = tampered.events.find((e) => e.activityTaskScheduledEventAttributes?.activityType.name === 'readSkill');
    scheduled!.activityTaskScheduledEventAttributes!.activityType.name = 'publishSkill';
    const err = await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, tampered, workflowId).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err instanceof DeterminismViolationError || err instanceof ReplayError, `expected a determinism failure, got ${String(err)}`).toBe(true);
  });
});

describe('the history recorder', () => {
  it('refuses to overwrite a version that already has recorded histories', () => {
    const released = files[0]!.split('/')[0]!;
    expect(() => prepareHistoriesFolder(released)).toThrow(/already holds recorded histories.*bump the package version/);
  });

  it('prepares the folder of a new version, and refuses it once it holds a set', () => {
    const root = mkdtempSync(join(tmpdir(), 'skillopt-histories-'));
    const dir = prepareHistoriesFolder('9.9.9', root);
    expect(existsSync(dir)).toBe(true);
    expect(() => prepareHistoriesFolder('9.9.9', root)).not.toThrow();
    writeFileSync(join(dir, 'scenario.json'), '{}');
    expect(() => prepareHistoriesFolder('9.9.9', root)).toThrow(/9\.9\.9.*already holds recorded histories/);
  });
});
