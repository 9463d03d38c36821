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

/** Saves the histories of every run of a workflow id (continue-as-new and idle restarts give several), oldest first. */
export async function recordHistories(client: Client, workflowId: string, scenario: string): Promise<void> {
  if (!recordingHistories()) return;
  // Visibility lags the runs by moments.
  await new Promise((r) => setTimeout(r, 1_500));
  const runs: { start: number; runId: string }[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push({ start: wf.startTime.getTime(), runId: wf.runId });
  runs.sort((a, b) => a.start - b.start);
  const histories: string[] = [];
  for (const { runId } of runs) histories.push(historyToJSON(await client.workflow.getHandle(workflowId, runId).fetchHistory()));
  mkdirSync(HISTORIES_DIR, { recursive: true });
  histories.forEach((json, i) => {
    const name = histories.length === 1 ? `${scenario}.json` : `${scenario}.run${i + 1}.json`;
    writeFileSync(join(HISTORIES_DIR, name), JSON.stringify({ workflowId, history: JSON.parse(json) }, null, 1) + '\n');
  });
}
