// The versions the last pulls refused to install, in
// $SKILLOPT_HOME/pull-refusals.json, so `skillopt doctor` can show them after
// a SessionStart auto-pull that printed nothing. Written by pull while it holds
// the manifest's lock (the only writer), per skills root.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile, readTextIfExists } from './fs';

export const PULL_REFUSALS_FILE = 'pull-refusals.json';

export interface PullRefusal {
  ref: string;
  version: number;
  /** Why, one line. */
  why: string;
  /** When the pull refused it (ISO-8601). */
  at: string;
}

/** Skills root → its refusals. */
type RefusalsFile = Record<string, PullRefusal[]>;

export function pullRefusalsPath(skilloptHome: string): string {
  return join(skilloptHome, PULL_REFUSALS_FILE);
}

async function readRefusalsFile(skilloptHome: string): Promise<RefusalsFile> {
  const text = await readTextIfExists(pullRefusalsPath(skilloptHome));
  if (text === undefined) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as RefusalsFile) : {};
  } catch {
    // Only a report: a damaged one is rewritten by the next pull.
    return {};
  }
}

/** Every refusal the last pulls recorded, with the skills root it was for. */
export async function readPullRefusals(skilloptHome: string): Promise<Array<PullRefusal & { root: string }>> {
  const file = await readRefusalsFile(skilloptHome);
  return Object.entries(file).flatMap(([root, items]) => (Array.isArray(items) ? items.map((r) => ({ ...r, root })) : []));
}

/**
 * Records one pull of `root`: `handled` are the refs it got to (an aborted pull
 * leaves the others' refusals as they were), `refused` those it refused.
 * The caller holds the manifest lock.
 */
export async function recordPullRefusals(skilloptHome: string, root: string, handled: readonly string[], refused: readonly PullRefusal[]): Promise<void> {
  const file = await readRefusalsFile(skilloptHome);
  const before = file[root] ?? [];
  const seen = new Set(handled);
  const next = [...before.filter((r) => !seen.has(r.ref)), ...refused];
  if (next.length === 0 && before.length === 0) return;
  if (next.length === 0) delete file[root];
  else file[root] = next;
  await mkdir(skilloptHome, { recursive: true, mode: 0o700 });
  await atomicWriteFile(pullRefusalsPath(skilloptHome), `${JSON.stringify(file, null, 2)}\n`, 0o600);
}
