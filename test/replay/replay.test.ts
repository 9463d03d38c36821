// Replays every recorded history against today's workflow code. A change that
// alters the commands a running workflow would issue, without patched(), fails here.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ReplayError, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { HISTORIES_DIR } from '../helpers/histories';
import { workflowBundle } from '../helpers/temporal';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();

interface RecordedEvent {
  eventType: string;
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
}

function readHistory(file: string): { workflowId: string; history: { events: RecordedEvent[] } } {
  return JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')) as { workflowId: string; history: { events: RecordedEvent[] } };
}

describe('recorded histories replay on the current workflow code', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it.each(files)('%s', async (file) => {
    const { workflowId, history } = readHistory(file);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
  });

  // Without this, a replay harness that silently accepted anything would pass every file above.
  it('rejects a history whose commands the code would not issue', async () => {
    const { workflowId, history } = readHistory('improve-and-pass.json');
    const tampered = structuredClone(history);
    const scheduled = tampered.events.find((e) => ['readSkill', 'proposeEdit'].includes(e.activityTaskScheduledEventAttributes?.activityType.name ?? ''));
    expect(scheduled).toBeDefined();
    scheduled!.activityTaskScheduledEventAttributes!.activityType.name = 'publishSkill';
    const err = await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, tampered, workflowId).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err instanceof DeterminismViolationError || err instanceof ReplayError, `expected a determinism failure, got ${String(err)}`).toBe(true);
  });
});
