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
import { InvalidArgumentError, type Command } from 'commander';
import { formatSkillRef, parseSkillRef, type SkillRef } from '../core/skill-ref';
import { oneLine, shorten } from '../core/text';
import { precheckLine } from '../core/precheck';
import {
  MAX_SKILL_INVOCATIONS_SCANNED,
  emptyCounts,
  tally,
  type InvocationRow,
  type SkillDetail,
  type SkillStatusRow,
  type VerdictCounts,
} from '../team/visibility';
import type { CliContext, RegisterCommands } from './context';
import { formatTable } from './table';

export { collectSkills } from '../team/visibility';
export type { InvocationRow, LaneRow, SkillDetail, SkillStatusRow, VerdictCounts } from '../team/visibility';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 500;
const REASON_CHARS = 60;

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
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
    const what = r.proposedBy ? `proposal by ${r.proposedBy}` : 'candidate';
    ctx.print(`  ${what} v${r.version} on trial (${r.policy}) against stable v${r.stableVersion ?? '-'}: ${until}`);
    if (r.precheck) ctx.print(`  pre-publish check: ${precheckLine(r.precheck)}`);
    if (r.reading) ctx.print(`  evidence: ${r.reading.reason}`);
  }
  if (c.rejectedByCheck) ctx.print(`  edits the pre-publish check turned down: ${c.rejectedByCheck} (\`skillopt skills history ${name}\` says why)`);
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
  const { rows, notes } = await (await ctx.openBackend()).skillsStatus(new Date());
  if (flags.json) ctx.printJson(rows);
  else printSkills(ctx, rows, notes);
}

async function showSkill(ctx: CliContext, refText: string, flags: { json?: boolean; limit: number }): Promise<void> {
  const ref = parseSkillRef(refText);
  const { detail, truncated } = await (await ctx.openBackend()).skillStatus(ref, flags.limit);
  if (flags.json) return ctx.printJson(detail);
  printLane(ctx, ref, detail.lane);
  printInvocations(ctx, detail.invocations, truncated);
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
