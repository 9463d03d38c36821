// `skillopt status [ref]`: what the two workflows are doing, from Temporal's
// visibility (the same data the Web UI lists). Without a ref: every skill lane
// (newest run per workflow id) with the last 7 days of invocations counted by
// verdict, plus skills that have invocations but no lane yet. With a ref: the
// lane's live `state` query (or its last status) and the skill's most recent
// invocations with user, version, verdict and reason.
//
// Query text is built only from constants, ISO timestamps and refs that passed
// parseSkillRef (whose alphabet has no quotes, spaces or operators): nothing a
// user writes becomes query text otherwise.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { InvalidArgumentError, type Command } from 'commander';
import { formatSkillRef, parseSkillRef, skillRefFromWorkflowId, tryParseSkillRef, workflowIdForSkill, type SkillRef } from '../core/skill-ref';
import { oneLine, shorten } from '../core/text';
import { INVOCATION_WORKFLOW_TYPE, SKILL_WORKFLOW_TYPE, SearchAttributes, type LaneState } from '../workflows/definitions';
import type { CliContext, RegisterCommands } from './context';
import { CliError } from './context';
import { formatTable } from './table';

const CONNECT_TIMEOUT_MS = 5_000;
/** One query of a running lane; a lane whose worker is down must not hang the command. */
const QUERY_TIMEOUT_MS = 5_000;
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
/** Lane runs read from visibility (several runs per lane: continue-as-new, idle completion). */
const MAX_LANE_RUNS_SCANNED = 5_000;
/** Invocations read to tally the week by skill; past this, each skill's verdicts are counted with count queries instead. */
const MAX_INVOCATIONS_SCANNED = 2_000;
/** One skill's invocations read to pick the newest (visibility lists running first, then by close time). */
const MAX_SKILL_INVOCATIONS_SCANNED = 1_000;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 500;
const COUNT_CONCURRENCY = 8;
const REASON_CHARS = 60;

type Verdict = 'passed' | 'failed' | 'not-judged' | 'pending';

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

/** Connects with the standard Temporal settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, … or a temporal.toml profile). */
async function connect(ctx: CliContext) {
  // Loaded on demand: only `status` needs the Temporal client.
  const { temporalClient, temporalSettings } = await import('../local/temporal');
  const { address } = temporalSettings(ctx.env);
  try {
    const client = await temporalClient(ctx.env, { connectTimeout: CONNECT_TIMEOUT_MS });
    return { client, connection: client.connection, address };
  } catch (err) {
    throw new CliError(`cannot reach Temporal at ${address} (${(err as Error).message.split('\n')[0]}): start it with \`npm start\` or set TEMPORAL_ADDRESS`);
  }
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

// ---- reading visibility ----

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function verdictOf(wf: WorkflowExecutionInfo): Verdict {
  const value = wf.typedSearchAttributes.get(SearchAttributes.verdict);
  return value === 'passed' || value === 'failed' || value === 'not-judged' ? value : 'pending';
}

function emptyCounts(): VerdictCounts {
  return { total: 0, passed: 0, failed: 0, notJudged: 0, pending: 0 };
}

function tally(counts: VerdictCounts, verdict: Verdict): void {
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

async function collectSkill(client: Client, ref: SkillRef, limit: number): Promise<{ detail: SkillDetail; truncated: boolean }> {
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

// ---- printing ----

function countsLine(c: Omit<VerdictCounts, 'total'>): string {
  return `${c.passed} passed, ${c.failed} failed, ${c.notJudged} not-judged, ${c.pending} pending`;
}

function printSkills(ctx: CliContext, rows: SkillStatusRow[], notes: string[]): void {
  if (rows.length === 0) {
    ctx.print('no skill lanes or invocations yet: an invocation workflow starts at the first invocation of a shared skill');
    return;
  }
  ctx.print(
    formatTable(
      ['SKILL', 'LANE', 'VERSION', 'IMPROVEMENTS', 'PASSED', 'FAILED', 'NOT-JUDGED', 'PENDING'],
      rows.map((r) => [
        r.ref,
        r.lane ? r.lane.status.toLowerCase() : 'none',
        String(r.lane?.version ?? '-'),
        r.lane ? String(r.lane.improvementsPublished ?? 0) : '-',
        String(r.invocations.passed),
        String(r.invocations.failed),
        String(r.invocations.notJudged),
        String(r.invocations.pending),
      ]),
      { alignRight: [2, 3, 4, 5, 6, 7] },
    ),
  );
  ctx.print('(invocations started in the last 7 days, by verdict; not-judged: no verdict could be reached)');
  for (const note of notes) ctx.print(`note: ${note}`);
}

function printLane(ctx: CliContext, ref: SkillRef, lane: SkillDetail['lane']): void {
  const name = formatSkillRef(ref);
  if (!lane) {
    ctx.print(`${name}: no lane yet (it starts at the skill's first confirmed failure)`);
    return;
  }
  const s = lane.state;
  if (!s) {
    const status = lane.status.toLowerCase().replace(/_/g, '-');
    const when = lane.closed ? `, closed ${isoSeconds(new Date(lane.closed))}` : '';
    const why = lane.stateError ? ` (state query failed: ${lane.stateError})` : lane.status === 'RUNNING' ? '' : '; the next confirmed failure starts a run';
    ctx.print(`${name}: lane ${status}${when}, version ${lane.version ?? '-'}, ${lane.improvementsPublished ?? 0} improvements published${why}`);
    return;
  }
  const c = s.counters;
  ctx.print(`${name}: lane running (run ${s.runs}), version ${s.version ?? '-'}, ${c.improvementsPublished} improvements published`);
  ctx.print(`  now: ${s.queued} failure(s) queued${s.improving ? ', improving' : ', not improving'}`);
  ctx.print(
    `  failure reports ${c.failureReports} (${c.duplicateReports} duplicate); proposals ${c.proposals}: ${c.proposalsWithoutChange} without change, ${c.duplicateProposals} already tried, ${c.publishConflicts} publish conflicts, ${c.droppedBatches} dropped`,
  );
  const r = s.rollout;
  if (r) {
    const until = r.awaitingApproval ? `waiting for \`skillopt approve|reject ${name} ${r.version}\`` : `period ends ${isoSeconds(new Date(r.deadlineMs))}${r.extended ? ' (extended)' : ''}`;
    ctx.print(`  candidate v${r.version} on trial (${r.policy}) against stable v${r.stableVersion ?? '-'}: ${until}`);
    if (r.reading) ctx.print(`  evidence: ${r.reading.reason}`);
  }
  if (c.promotions + c.rejections > 0) ctx.print(`  candidates decided: ${c.promotions} promoted, ${c.rejections} rejected`);
}

function printInvocations(ctx: CliContext, invocations: InvocationRow[], truncated: boolean): void {
  if (invocations.length === 0) {
    ctx.print('no invocations yet');
    return;
  }
  const counts = emptyCounts();
  for (const i of invocations) tally(counts, i.verdict);
  ctx.print(`${invocations.length} most recent invocation(s): ${countsLine(counts)}${truncated ? ` (of the ${MAX_SKILL_INVOCATIONS_SCANNED} read)` : ''}`);
  ctx.print(
    formatTable(
      ['STARTED', 'USER', 'VERSION', 'VERDICT', 'REASON', 'WORKFLOW', 'ID'],
      invocations.map((i) => [
        isoSeconds(new Date(i.started)),
        i.user ?? '-',
        i.version === null ? '-' : `v${i.version}`,
        i.verdict,
        i.reason === null ? '-' : shorten(oneLine(i.reason), REASON_CHARS),
        i.status.toLowerCase().replace(/_/g, '-'),
        i.workflowId,
      ]),
    ),
  );
}

// ---- the command ----

function parseLimit(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LIMIT) throw new InvalidArgumentError(`a whole number from 1 to ${MAX_LIMIT}`);
  return n;
}

async function listSkills(ctx: CliContext, flags: { json?: boolean }): Promise<void> {
  const { client, connection } = await connect(ctx);
  try {
    const { rows, notes } = await collectSkills(client, new Date());
    if (flags.json) ctx.printJson(rows);
    else printSkills(ctx, rows, notes);
  } finally {
    await connection.close();
  }
}

async function showSkill(ctx: CliContext, refText: string, flags: { json?: boolean; limit: number }): Promise<void> {
  const ref = parseSkillRef(refText);
  const { client, connection } = await connect(ctx);
  try {
    const { detail, truncated } = await collectSkill(client, ref, flags.limit);
    if (flags.json) return ctx.printJson(detail);
    printLane(ctx, ref, detail.lane);
    printInvocations(ctx, detail.invocations, truncated);
  } finally {
    await connection.close();
  }
}

export const registerStatus: RegisterCommands = (program: Command, ctx: CliContext) => {
  program
    .command('status')
    .description("what the workflows are doing (from Temporal): every skill's lane and last 7 days of verdicts, or one skill's lane and recent invocations")
    .argument('[ref]', 'a shared skill, <name>--<author>')
    .option('--limit <n>', `invocations shown for one skill (1-${MAX_LIMIT})`, parseLimit, DEFAULT_LIMIT)
    .option('--json', 'machine-readable output')
    .action(async (ref: string | undefined, flags: { json?: boolean; limit: number }) => {
      if (ref === undefined) await listSkills(ctx, flags);
      else await showSkill(ctx, ref, flags);
    });
};
