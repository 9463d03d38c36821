// Recorded workflow histories, one folder per release: `npm run histories:record`
// runs the workflow tests with SKILLOPT_RECORD_HISTORIES=1, and each scenario
// saves every run of its workflows to test/histories/<package version>/.
// test/replay replays every folder, so a workflow change that alters commands
// without patched() fails the build against every release's histories.
//
// A version's set is written once: the recorder refuses a folder that already
// holds histories (bump the package version for a new set; delete the folder
// only if that version was never released).
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = join(import.meta.dirname, '..', 'histories');

export function recordingHistories(): boolean {
  return process.env.SKILLOPT_RECORD_HISTORIES === '1';
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Every history file, as `<version>/<file>`, in order. */
export function recordedHistoryFiles(): string[] {
  if (!existsSync(HISTORIES_DIR)) return [];
  return readdirSync(HISTORIES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(HISTORIES_DIR, d.name)).filter((f) => f.endsWith('.json')).map((f) => `${d.name}/${f}`))
    .sort();
}

export function historiesFolder(version = packageVersion(), root = HISTORIES_DIR): string {
  return join(root, version);
}

/**
 * Called once before a recording run (test/global-setup.ts), not per test file:
 * the files of one run write side by side. Throws when the version's set exists.
 */
export function prepareHistoriesFolder(version = packageVersion(), root = HISTORIES_DIR): string {
  const dir = historiesFolder(version, root);
  if (existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.json'))) {
    throw new Error(
      `test/histories/${version}/ already holds recorded histories: a released set is never overwritten; bump the package version to record a new set (delete the folder only if ${version} was never released)`,
    );
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Saves the histories of every run of a workflow id (continue-as-new and idle restarts give several), oldest first. */
export async function recordHistories(client: Client, workflowId: string, scenario: string): Promise<void> {
  if (!recordingHistories()) return;
  const dir = historiesFolder();
  // Visibility lags the runs by moments.
  await new Promise((r) => setTimeout(r, 1_500));
  const runs: { start: number; runId: string }[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push({ start: wf.startTime.getTime(), runId: wf.runId });
  runs.sort((a, b) => a.start - b.start);
  const histories: string[] = [];
  for (const { runId } of runs) histories.push(historyToJSON(await client.workflow.getHandle(workflowId, runId).fetchHistory()));
  histories.forEach((json, i) => {
    const name = histories.length === 1 ? `${scenario}.json` : `${scenario}.run${i + 1}.json`;
    if (existsSync(join(dir, name))) throw new Error(`test/histories/${name} was recorded twice in this run: give the scenarios distinct names`);
    writeFileSync(join(dir, name), JSON.stringify({ workflowId, history: JSON.parse(json) }, null, 1) + '\n');
  });
}
