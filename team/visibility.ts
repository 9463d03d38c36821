// Reading skillopt's two workflows from Temporal's visibility (the same data the
// Web UI lists), shared by `skillopt status` and the dashboard: every skill
// lane (newest run per workflow id) with the last 7 days of invocations
// counted by verdict, and one skill's lane (its live `state` query, or its
// last status) with its most recent invocations.
//
// Query text is built only from constants, ISO timestamps and refs that passed
// parseSkillRef (whose alphabet has no quotes, spaces or operators): nothing a
// user writes becomes query text otherwise.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { formatSkillRef, parseSkillRef, skillRefFromWorkflowId, tryParseSkillRef, workflowIdForSkill, type SkillRef } from '../core/skill-ref';
import { oneLine } from '../core/text';
import { INVOCATION_WORKFLOW_TYPE, SKILL_WORKFLOW_TYPE, SearchAttributes, type LaneState } from '../workflows/definitions';

/** One query of a running lane; a lane whose worker is down must not hang the command. */
const QUERY_TIMEOUT_MS = 5_000;
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
/** Lane runs read from visibility (several runs per lane: continue-as-new, idle completion). */
const MAX_LANE_RUNS_SCANNED = 5_000;
/** Invocations read to tally the week by skill; past this, each skill's verdicts are counted with count queries instead. */
const MAX_INVOCATIONS_SCANNED = 2_000;
/** One skill's invocations read to pick the newest (visibility lists running first, then by close time). */
export const MAX_SKILL_INVOCATIONS_SCANNED = 1_000;
const COUNT_CONCURRENCY = 8;

export type Verdict = 'passed' | 'failed' | 'not-judged' | 'pending';

/** Invocations by verdict. `notJudged`: no verdict could be reached (never folded into passed); `pending`: nothing judged yet. */
export interface VerdictCounts {
  total: number;
  passed: number;
  failed: number;
  notJudged: number;
  pending: number;
}

export interface LaneRow {
  workflowId: string;
  runId: string;
  /** Temporal's status of the newest run: RUNNING, COMPLETED, CONTINUED_AS_NEW, FAILED, … */
  status: string;
  started: string;
  closed: string | null;
  version: number | null;
  improvementsPublished: number | null;
}

/** One row of `skillopt status --json`. */
export interface SkillStatusRow {
  ref: string;
  /** The newest run of the skill's lane; null while no failure has started one. */
  lane: LaneRow | null;
  /** Invocations started since `since` (7 days ago). */
  invocations: VerdictCounts & { since: string };
}

/** One element of `skillopt status <ref> --json`'s `invocations`, newest first. */
export interface InvocationRow {
  workflowId: string;
  runId: string;
  started: string;
  closed: string | null;
  status: string;
  user: string | null;
  version: number | null;
  verdict: Verdict;
  reason: string | null;
}

/** `skillopt status <ref> --json`. */
export interface SkillDetail {
  lane: (LaneRow & { ref: string; state: LaneState | null; stateError?: string }) | null;
  invocations: InvocationRow[];
}

// ---- query text: constants, ISO times and validated refs only ----

/** The ref as it may appear inside a query string: re-validated, so no caller can slip other text in. */
function quotedRef(ref: SkillRef): string {
  return `"${formatSkillRef(parseSkillRef(formatSkillRef(ref)))}"`;
}

const lanesQuery = `WorkflowType = "${SKILL_WORKFLOW_TYPE}"`;

function invocationsQuery(ref?: SkillRef, since?: Date): string {
  return [
    `WorkflowType = "${INVOCATION_WORKFLOW_TYPE}"`,
    ...(ref ? [`SkillRef = ${quotedRef(ref)}`] : []),
    ...(since ? [`StartTime > "${since.toISOString()}"`] : []),
  ].join(' AND ');
}

function verdictOf(wf: WorkflowExecutionInfo): Verdict {
  const value = wf.typedSearchAttributes.get(SearchAttributes.verdict);
  return value === 'passed' || value === 'failed' || value === 'not-judged' ? value : 'pending';
}

export function emptyCounts(): VerdictCounts {
  return { total: 0, passed: 0, failed: 0, notJudged: 0, pending: 0 };
}

export function tally(counts: VerdictCounts, verdict: Verdict): void {
  counts.total += 1;
  if (verdict === 'not-judged') counts.notJudged += 1;
  else counts[verdict] += 1;
}

function laneRow(wf: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'status' | 'startTime' | 'closeTime' | 'typedSearchAttributes'>): LaneRow {
  const attrs = wf.typedSearchAttributes;
  return {
    workflowId: wf.workflowId,
    runId: wf.runId,
    status: wf.status.name,
    started: wf.startTime.toISOString(),
    closed: wf.closeTime ? wf.closeTime.toISOString() : null,
    version: attrs.get(SearchAttributes.skillVersion) ?? null,
    improvementsPublished: attrs.get(SearchAttributes.improvementsPublished) ?? null,
  };
}

/** Reads at most `max` executions of a list query; `truncated` when more were there. */
async function listBounded(client: Client, query: string, max: number): Promise<{ executions: WorkflowExecutionInfo[]; truncated: boolean }> {
  const executions: WorkflowExecutionInfo[] = [];
  for await (const wf of client.workflow.list({ query, pageSize: Math.min(max, 1000) })) {
    if (executions.length >= max) return { executions, truncated: true };
    executions.push(wf);
  }
  return { executions, truncated: false };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

/** Exact counts for one skill with count queries (used when the week holds more invocations than are read). */
async function countVerdicts(client: Client, ref: SkillRef, since: Date): Promise<VerdictCounts> {
  const base = invocationsQuery(ref, since);
  const [total, passed, failed, notJudged] = await Promise.all(
    [base, `${base} AND Verdict = "passed"`, `${base} AND Verdict = "failed"`, `${base} AND Verdict = "not-judged"`].map(async (q) => (await client.workflow.count(q)).count),
  );
  return { total: total!, passed: passed!, failed: failed!, notJudged: notJudged!, pending: Math.max(0, total! - passed! - failed! - notJudged!) };
}

/** Every skill's row (exported for tests, which lower the bound to take the count-query path). */
export async function collectSkills(client: Client, now: Date, maxInvocationsScanned = MAX_INVOCATIONS_SCANNED): Promise<{ rows: SkillStatusRow[]; notes: string[] }> {
  const since = new Date(now.getTime() - WEEK_MS);
  const notes: string[] = [];
  const byRef = new Map<string, { ref: SkillRef; lane: LaneRow | null; counts: VerdictCounts }>();
  const entry = (ref: SkillRef) => {
    const key = formatSkillRef(ref);
    let found = byRef.get(key);
    if (!found) byRef.set(key, (found = { ref, lane: null, counts: emptyCounts() }));
    return found;
  };

  const lanes = await listBounded(client, lanesQuery, MAX_LANE_RUNS_SCANNED);
  if (lanes.truncated) notes.push(`read the first ${MAX_LANE_RUNS_SCANNED} lane runs only`);
  for (const wf of lanes.executions) {
    const ref = tryParseSkillRef(wf.typedSearchAttributes.get(SearchAttributes.skillRef) ?? '') ?? refFromLaneId(wf.workflowId);
    if (!ref) continue;
    const e = entry(ref);
    // Each workflow id may have several runs (continue-as-new, idle completion); keep the newest.
    if (e.lane && e.lane.started >= wf.startTime.toISOString()) continue;
    e.lane = laneRow(wf);
  }

  const week = await listBounded(client, invocationsQuery(undefined, since), maxInvocationsScanned);
  for (const wf of week.executions) {
    const ref = tryParseSkillRef(wf.typedSearchAttributes.get(SearchAttributes.skillRef) ?? '');
    if (ref) tally(entry(ref).counts, verdictOf(wf));
  }
  if (week.truncated) {
    // Too many to read: count each known skill exactly instead.
    notes.push(`more than ${maxInvocationsScanned} invocations this week: counted per skill; a skill seen only in older ones may be missing`);
    await pool([...byRef.values()], COUNT_CONCURRENCY, async (e) => {
      e.counts = await countVerdicts(client, e.ref, since);
    });
  }

  const rows = [...byRef.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([ref, e]): SkillStatusRow => ({ ref, lane: e.lane, invocations: { since: since.toISOString(), ...e.counts } }));
  return { rows, notes };
}

function refFromLaneId(workflowId: string): SkillRef | undefined {
  try {
    return skillRefFromWorkflowId(workflowId);
  } catch {
    return undefined;
  }
}

function invocationRow(wf: WorkflowExecutionInfo): InvocationRow {
  const attrs = wf.typedSearchAttributes;
  const reason = wf.memo?.verdictReason;
  return {
    workflowId: wf.workflowId,
    runId: wf.runId,
    started: wf.startTime.toISOString(),
    closed: wf.closeTime ? wf.closeTime.toISOString() : null,
    status: wf.status.name,
    user: attrs.get(SearchAttributes.skillUser) ?? null,
    version: attrs.get(SearchAttributes.skillVersion) ?? null,
    verdict: verdictOf(wf),
    reason: typeof reason === 'string' ? reason : null,
  };
}

export async function collectSkill(client: Client, ref: SkillRef, limit: number): Promise<{ detail: SkillDetail; truncated: boolean }> {
  const laneId = workflowIdForSkill(ref);
  const [lane, recent] = await Promise.all([describeLane(client, ref, laneId), listBounded(client, invocationsQuery(ref), Math.max(limit, MAX_SKILL_INVOCATIONS_SCANNED))]);
  const invocations = recent.executions
    .map(invocationRow)
    .sort((a, b) => b.started.localeCompare(a.started))
    .slice(0, limit);
  return { detail: { lane, invocations }, truncated: recent.truncated };
}

async function describeLane(client: Client, ref: SkillRef, workflowId: string): Promise<SkillDetail['lane']> {
  const { WorkflowNotFoundError } = await import('@temporalio/client');
  const handle = client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  const row = { ref: formatSkillRef(ref), ...laneRow(description) };
  if (description.status.name !== 'RUNNING') return { ...row, state: null };
  try {
    const { laneStateQuery } = await import('../workflows/definitions');
    const state = await client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(laneStateQuery));
    return { ...row, state };
  } catch (err) {
    return { ...row, state: null, stateError: oneLine((err as Error).message) };
  }
}
