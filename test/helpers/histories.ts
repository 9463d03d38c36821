// Recorded workflow histories: `npm run histories:record` runs the workflow
// tests with SKILLOPT_RECORD_HISTORIES=1, and each scenario saves every run of
// its workflow to test/histories/<scenario>.json. test/replay replays them all,
// so a workflow change that alters commands without patched() fails the build.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = join(import.meta.dirname, '..', 'histories');

export function recordingHistories(): boolean {
  return process.env.SKILLOPT_RECORD_HISTORIES === '1';
}

/** Saves the histories of every run of a workflow id (continue-as-new gives several), oldest first. */
export async function recordHistories(client: Client, workflowId: string, scenario: string): Promise<void> {
  if (!recordingHistories()) return;
  const runs: string[] = [];
  // Each run ends in a new run (continue-as-new) or a completion: follow the chain from the first run.
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).raw.workflowExecutionInfo?.firstRunId ?? undefined;
  while (runId) {
    const handle = client.workflow.getHandle(workflowId, runId);
    const history = await handle.fetchHistory();
    runs.push(historyToJSON(history));
    const last = history.events?.[history.events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  mkdirSync(HISTORIES_DIR, { recursive: true });
  runs.forEach((json, i) => {
    const name = runs.length === 1 ? `${scenario}.json` : `${scenario}.run${i + 1}.json`;
    writeFileSync(join(HISTORIES_DIR, name), JSON.stringify({ workflowId, history: JSON.parse(json) }, null, 1) + '\n');
  });
}
